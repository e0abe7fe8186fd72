import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { InferenceCancelledError, type ReinClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";
import type { BenchContext } from "../bench-context.ts";
import type { ModelPreset } from "../bench-options.ts";
import { loadPlainModel } from "../harness/plain-engine.ts";
import { startReinClient } from "../harness/rein-engine.ts";
import { blocks, formatInteger, formatNumber, formatPercent, LATENCY_HEADERS, latencyCells, markdownTable, verdict, type BehindNote, type SectionReport } from "../report.ts";
import { summarize } from "../stats.ts";

const SEARCH_DIMENSION = 128;
const TOP_K = 10;

/** Deterministic pseudo-random numbers (mulberry32), so every run searches the same vectors. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const chunkText = (index: number) => `Chunk ${index}: a paragraph about cancellable requests, embedded vector stores and workspaces, number ${index}.`;

/** Reads one counter of the worker's metrics. */
async function metric(client: ReinClient, name: string): Promise<number> {
  return (await client.inspect()).metrics[name] ?? 0;
}

interface IngestRow {
  preset: ModelPreset;
  path: string;
  chunks: number;
  seconds: number;
  embedSeconds: number;
  storeSeconds: number;
  maxBlockMs: number;
}

/** Rein: ragIngest on an open workspace. Plain: node-llama-cpp embeddings, then PGlite on the main thread. */
async function measureIngest(context: BenchContext, cacheDir: string, preset: ModelPreset, chunks: number): Promise<IngestRow[]> {
  const { threads } = context.options;
  const modelPath = await testModelPath({ preset });
  const documents = Array.from({ length: chunks }, (_, index) => ({ id: `d${index}`, text: chunkText(index) }));
  const rows: IngestRow[] = [];
  {
    await using client = await startReinClient({ threads, cacheDir });
    const modelId = await client.loadModel({ modelSrc: modelPath });
    // Opens (and creates) the workspace, so the measured ingest is the steady state.
    await client.ragIngest({ workspace: `ingest-${preset}`, modelId, documents: documents.slice(0, 4) });
    context.progress(`Rein ragIngest: ${chunks} chunks, ${preset} model`);
    const embedBefore = await metric(client, "rag.embedMs");
    const storeBefore = await metric(client, "rag.storeMs");
    const startedAt = performance.now();
    await client.ragIngest({ workspace: `ingest-${preset}`, modelId, documents });
    const seconds = (performance.now() - startedAt) / 1000;
    rows.push({
      preset,
      path: "Rein ragIngest (store in its thread)",
      chunks,
      seconds,
      embedSeconds: ((await metric(client, "rag.embedMs")) - embedBefore) / 1000,
      storeSeconds: ((await metric(client, "rag.storeMs")) - storeBefore) / 1000,
      maxBlockMs: await metric(client, "rag.lastMaxEventLoopDelayMs"),
    });
  }
  {
    context.progress(`plain node-llama-cpp + PGlite on the main thread: ${chunks} chunks, ${preset} model`);
    const model = await loadPlainModel(modelPath);
    const embeddingContext = await model.createEmbeddingContext({ contextSize: 2048, threads });
    const dataDir = path.join(cacheDir, `plain-${preset}`);
    const database = await PGlite.create({ dataDir, extensions: { vector } });
    await database.exec(`CREATE EXTENSION IF NOT EXISTS vector; CREATE TABLE chunks (id text PRIMARY KEY, text text, embedding vector(${model.embeddingVectorSize}))`);
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const startedAt = performance.now();
    const vectors: string[] = [];
    for (const document of documents) vectors.push(`[${(await embeddingContext.getEmbeddingFor(document.text)).vector.join(",")}]`);
    const embeddedAt = performance.now();
    await database.exec("BEGIN");
    for (let start = 0; start < documents.length; start += 32) {
      const batch = documents.slice(start, start + 32);
      await database.query("INSERT INTO chunks SELECT * FROM unnest($1::text[], $2::text[], $3::text[]::vector[])", [batch.map((d) => d.id), batch.map((d) => d.text), vectors.slice(start, start + 32)]);
    }
    await database.exec("COMMIT");
    const doneAt = performance.now();
    histogram.disable();
    rows.push({ preset, path: "plain node-llama-cpp + PGlite in-process", chunks, seconds: (doneAt - startedAt) / 1000, embedSeconds: (embeddedAt - startedAt) / 1000, storeSeconds: (doneAt - embeddedAt) / 1000, maxBlockMs: histogram.max / 1e6 });
    await database.close();
    await embeddingContext.dispose();
    await model.dispose();
  }
  return rows;
}

interface SearchRow {
  size: number;
  loadSeconds: number;
  indexSeconds: number;
  /** The worker main thread's longest event-loop block while the index was built (in the store thread). */
  indexBlockMs: number;
  exact: number[];
  indexed: number[];
  recall: number;
}

/** ragSaveEmbeddings of `size` random vectors, then exact and HNSW searches of the same queries through the SDK. */
async function measureSearch(context: BenchContext, cacheDir: string, size: number, queries: number): Promise<SearchRow> {
  const { threads } = context.options;
  const next = random(size);
  const randomVector = () => Array.from({ length: SEARCH_DIMENSION }, () => next() * 2 - 1);
  const workspace = `search-${size}`;
  let loadSeconds = 0;
  {
    // Loaded without an index (threshold above the size), so the index is built once, afterwards, and timed alone.
    process.env.REIN_RAG_HNSW_THRESHOLD = String(size * 10);
    await using client = await startReinClient({ threads, cacheDir });
    context.progress(`search ${size}: ragSaveEmbeddings of ${size} vectors`);
    const startedAt = performance.now();
    for (let start = 0; start < size; start += 2_000) {
      const items = Array.from({ length: Math.min(2_000, size - start) }, (_, offset) => ({ id: `v${start + offset}`, text: `vector ${start + offset}`, embedding: randomVector() }));
      await client.ragSaveEmbeddings({ workspace, items });
    }
    loadSeconds = (performance.now() - startedAt) / 1000;
  }
  process.env.REIN_RAG_HNSW_THRESHOLD = "1";
  await using client = await startReinClient({ threads, cacheDir });
  context.progress(`search ${size}: HNSW index build`);
  const indexStartedAt = performance.now();
  // One more item: the write ends with ensureIndex, which builds the index now that the threshold is 1.
  await client.ragSaveEmbeddings({ workspace, items: [{ id: "extra", text: "extra", embedding: randomVector() }] });
  const indexSeconds = (performance.now() - indexStartedAt) / 1000;
  const indexBlockMs = await metric(client, "rag.lastMaxEventLoopDelayMs");
  const listed = (await client.ragListWorkspaces()).find((entry) => entry.workspace === workspace);
  if (!listed?.indexed) throw new Error(`workspace ${workspace} has no index after the build`);
  context.progress(`search ${size}: ${queries} queries, exact and indexed`);
  const exact: number[] = [];
  const indexed: number[] = [];
  let found = 0;
  for (let round = 0; round < queries + 3; round += 1) {
    const embedding = randomVector();
    let startedAt = performance.now();
    const exactHits = await client.ragSearch({ workspace, embedding, topK: TOP_K, exact: true });
    const exactMs = performance.now() - startedAt;
    startedAt = performance.now();
    const indexedHits = await client.ragSearch({ workspace, embedding, topK: TOP_K });
    const indexedMs = performance.now() - startedAt;
    if (round < 3) continue; // warm-up
    exact.push(exactMs);
    indexed.push(indexedMs);
    const truth = new Set(exactHits.map((hit) => hit.chunkId));
    found += indexedHits.filter((hit) => truth.has(hit.chunkId)).length;
  }
  return { size, loadSeconds, indexSeconds, indexBlockMs, exact, indexed, recall: found / (queries * TOP_K) };
}

/** Cancel at the first progress of a 3,000-chunk ingest: cancel() -> promise settled, then a search answered. */
async function measureCancel(context: BenchContext, cacheDir: string, rounds: number) {
  const { threads } = context.options;
  await using client = await startReinClient({ threads, cacheDir });
  const modelId = await client.loadModel({ modelSrc: await testModelPath({ preset: "tiny" }) });
  const documents = Array.from({ length: 3_000 }, (_, index) => ({ id: `c${index}`, text: chunkText(index) }));
  await client.ragIngest({ workspace: "cancel", modelId, documents: documents.slice(0, 4) });
  const settled: number[] = [];
  const free: number[] = [];
  let maxBlockMs = 0;
  context.progress(`cancel: ${rounds} ingests of 3,000 chunks cancelled after their first batch`);
  for (let round = 0; round < rounds; round += 1) {
    let cancelAt = 0;
    const ingest = client.ragIngest({
      workspace: "cancel",
      modelId,
      documents,
      batchSize: 16,
      onProgress: () => {
        if (cancelAt !== 0) return;
        cancelAt = performance.now();
        void client.cancel({ requestId: ingest.requestId });
      },
    });
    const error = await ingest.catch((caught: unknown) => caught);
    settled.push(performance.now() - cancelAt);
    if (!InferenceCancelledError.isInstance(error)) throw new Error("a cancelled ingest did not end cancelled");
    const searchAt = performance.now();
    await client.ragSearch({ workspace: "cancel", modelId, query: "free again?", topK: 1 });
    free.push(performance.now() - searchAt);
    maxBlockMs = Math.max(maxBlockMs, await metric(client, "rag.lastMaxEventLoopDelayMs"));
  }
  return { settled, free, maxBlockMs };
}

/**
 * RAG workspaces (PGlite + pgvector in a store thread): ingest throughput split into embedding and store,
 * beside plain node-llama-cpp + PGlite in-process; search latency exact vs HNSW with recall; cancel during
 * a large ingest; the worker main thread's longest event-loop block.
 *
 * @example
 * ```ts
 * const section = await ragSection(context);
 * ```
 */
export async function ragSection(context: BenchContext): Promise<SectionReport> {
  const { quick, presets } = context.options;
  const cacheDir = await mkdtemp(path.join(tmpdir(), "rein-bench-rag-"));
  const previousThreshold = process.env.REIN_RAG_HNSW_THRESHOLD;
  try {
    const ingestChunks = quick ? 200 : 1_000;
    const ingestRows: IngestRow[] = [];
    for (const preset of presets) ingestRows.push(...(await measureIngest(context, cacheDir, preset, ingestChunks)));
    const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 50_000];
    const searches: SearchRow[] = [];
    for (const size of sizes) searches.push(await measureSearch(context, cacheDir, size, quick ? 40 : 200));
    const cancel = await measureCancel(context, cacheDir, quick ? 8 : 30);

    const ingestTable = markdownTable(
      ["model", "path", "chunks", "chunks/s", "embed s", "store s", "longest main-thread block ms"],
      ingestRows.map((row) => [row.preset, row.path, formatInteger(row.chunks), formatNumber(row.chunks / row.seconds, 0), formatNumber(row.embedSeconds), formatNumber(row.storeSeconds), formatNumber(row.maxBlockMs, 1)]),
    );
    const searchTable = markdownTable(
      ["chunks", "search", ...LATENCY_HEADERS.map((header) => `${header} ms`), "recall@10", "load s", "index build s", "main-thread block during build ms"],
      searches.flatMap((row) => [
        [formatInteger(row.size), "exact (full scan)", ...latencyCells(summarize(row.exact)), "100%", formatNumber(row.loadSeconds, 1), "—", "—"],
        [formatInteger(row.size), "HNSW", ...latencyCells(summarize(row.indexed)), formatPercent(row.recall), "—", formatNumber(row.indexSeconds, 1), formatNumber(row.indexBlockMs, 1)],
      ]),
    );
    const settled = summarize(cancel.settled);
    const cancelTable = markdownTable(
      ["measure", ...LATENCY_HEADERS.map((header) => `${header} ms`)],
      [
        ["cancel() -> ragIngest rejected (cancelled)", ...latencyCells(settled)],
        ["then a ragSearch answered", ...latencyCells(summarize(cancel.free))],
      ],
    );
    const reinBlock = Math.max(...ingestRows.filter((row) => row.path.startsWith("Rein")).map((row) => row.maxBlockMs), cancel.maxBlockMs, ...searches.map((row) => row.indexBlockMs));
    const behind: BehindNote[] = [];
    const body = blocks(
      `Ingest: ${formatInteger(ingestChunks)} one-chunk documents (~110 characters each) into an open workspace; embed s / store s split the same run (Rein: the worker's \`rag.embedMs\` / \`rag.storeMs\` counters; store = staging + commit in the store thread).`,
      ingestTable,
      `Search: random ${SEARCH_DIMENSION}-dimension vectors (deterministic seed), \`ragSearch({ embedding, topK: ${TOP_K} })\` through the SDK (RPC + store thread + SQL), exact (\`exact: true\`) and through the HNSW index (m 16, ef_construction 64, ef_search 40); recall@10 of the index against the exact result.${quick ? " 50k chunks: skipped in --quick." : ""}`,
      searchTable,
      `Cancel during a 3,000-chunk ingest (tiny model, batch 16), ${cancel.settled.length} rounds: the cancel waits for the one text being embedded and the staging table's drop.`,
      cancelTable,
      verdict(reinBlock < 50, `longest event-loop block of the worker's main thread during ingests and index builds: ${formatNumber(reinBlock, 1)} ms (plain PGlite on the main thread: ${formatNumber(Math.max(...ingestRows.filter((row) => !row.path.startsWith("Rein")).map((row) => row.maxBlockMs)), 1)} ms)`),
    );
    return { title: "RAG workspaces (PGlite + pgvector)", body, behind };
  } finally {
    if (previousThreshold === undefined) delete process.env.REIN_RAG_HNSW_THRESHOLD;
    else process.env.REIN_RAG_HNSW_THRESHOLD = previousThreshold;
    await rm(cacheDir, { recursive: true, force: true });
  }
}
