import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { testModelPath } from "@rein/test-model";
import type { BenchContext } from "../bench-context.ts";
import { reinModelConfig, startReinClient } from "../harness/rein-engine.ts";
import { blocks, formatMebibytes, formatNumber, LATENCY_HEADERS, latencyCells, markdownTable, verdict, type BehindNote, type SectionReport } from "../report.ts";
import { interleave, median, summarize } from "../stats.ts";

const run = promisify(execFile);
const CONTEXT_SIZE = 2048;
const HANDSHAKE_TARGET_MS = 150;
const FIRST_LOAD_ALLOWANCE_MS = 50;
const plainScript = fileURLToPath(new URL("../harness/plain-cold-start.mjs", import.meta.url));

interface ReinColdStart {
  handshakeMs: number;
  firstLoadMs: number;
  idleRss: number;
  loadedRss: number;
  unloadedRss: number;
}

interface PlainColdStart {
  importMs: number;
  getLlamaMs: number;
  loadMs: number;
}

/** A bare `node -e 0`, spawn to exit: what any process start costs on this machine, in this environment. */
interface BareNodeStart {
  bareMs: number;
}

/**
 * Section: cold start. A fresh Rein client (the built packages: `npm run bench` builds first) against a fresh
 * plain node-llama-cpp process, interleaved: worker spawn + handshake, the first `loadModel` of the tiny model in
 * that fresh worker, and the worker's RSS idle, with the model, and after `unloadModel`. Rein runs with its
 * start-up caches filled (every start after the first) and empty (the first start on a machine); plain runs
 * as a default app (getLlama() tests its binary) and skipping that test the way Rein does.
 *
 * @example
 * ```ts
 * const section = await coldStartSection(context);
 * ```
 */
export async function coldStartSection(context: BenchContext): Promise<SectionReport> {
  const { threads, quick } = context.options;
  const modelPath = await testModelPath({ preset: "tiny" });
  const rounds = quick ? 4 : 12;
  // Rein's start-up caches (the V8 code cache of the worker bundle, the record of the tested llama.cpp binary) live
  // in the cache dir: one kept for the section (filled by the warm-up round, as any second start finds it), and an
  // empty one per round for a first start on a new machine.
  const warmCache = await mkdtemp(path.join(tmpdir(), "rein-bench-cold-"));
  const recordFile = path.join(warmCache, "engine", "llama-binary.json");
  context.progress(`${rounds} interleaved cold starts: Rein (warm caches, first start) and plain (tested binary, recorded binary)`);
  // NODE_EXTRA_CA_CERTS makes Node parse that file at every start; the SDK starts its worker without it (see
  // packages/sdk/src/transport/worker-environment.ts), so the bare-node rows show both.
  const extraCertificates = Boolean(process.env.NODE_EXTRA_CA_CERTS);
  let results: Map<string, (ReinColdStart | PlainColdStart | BareNodeStart)[]>;
  try {
    results = await interleave<ReinColdStart | PlainColdStart | BareNodeStart>({
      warmupRounds: 1,
      rounds,
      variants: [
        { name: "rein", run: () => reinColdStart(threads, modelPath, warmCache) },
        { name: "rein-first", run: () => withEmptyCache((cacheDir) => reinColdStart(threads, modelPath, cacheDir)) },
        { name: "plain", run: () => plainColdStart(threads, modelPath) },
        { name: "plain-recorded", run: () => plainColdStart(threads, modelPath, recordFile) },
        { name: "node", run: () => bareNodeStart(process.env) },
        ...(extraCertificates ? [{ name: "node-without-extra-ca", run: () => bareNodeStart({ ...process.env, NODE_EXTRA_CA_CERTS: "" }) }] : []),
      ],
    });
  } finally {
    await rm(warmCache, { recursive: true, force: true });
  }
  const rein = results.get("rein") as ReinColdStart[];
  const reinFirst = results.get("rein-first") as ReinColdStart[];
  const plain = results.get("plain") as PlainColdStart[];
  const plainRecorded = results.get("plain-recorded") as PlainColdStart[];
  const bare = (name: string) => (results.get(name) as BareNodeStart[] | undefined)?.map((sample) => sample.bareMs);
  const ready = (samples: PlainColdStart[]) => samples.map((sample) => sample.getLlamaMs + sample.loadMs);
  const total = (samples: PlainColdStart[]) => samples.map((sample) => sample.importMs + sample.getLlamaMs + sample.loadMs);
  const reinTotal = (samples: ReinColdStart[]) => samples.map((sample) => sample.handshakeMs + sample.firstLoadMs);
  const rows = [
    ["Rein: worker spawn + handshake (`ready()`)", ...latencyCells(summarize(rein.map((sample) => sample.handshakeMs)))],
    ["Rein: first `loadModel` in that worker (tiny)", ...latencyCells(summarize(rein.map((sample) => sample.firstLoadMs)))],
    ["Rein, first start (empty cache dir): spawn + handshake", ...latencyCells(summarize(reinFirst.map((sample) => sample.handshakeMs)))],
    ["Rein, first start (empty cache dir): first `loadModel`", ...latencyCells(summarize(reinFirst.map((sample) => sample.firstLoadMs)))],
    ["plain: `import(\"node-llama-cpp\")`", ...latencyCells(summarize(plain.map((sample) => sample.importMs)))],
    ["plain: `getLlama()` + load + context + chat wrapper", ...latencyCells(summarize(ready(plain)))],
    ["plain, recorded binary (no binary test): the same", ...latencyCells(summarize(ready(plainRecorded)))],
    ["Rein end to end: `createClient()` -> model ready", ...latencyCells(summarize(reinTotal(rein)))],
    ["Rein end to end, first start", ...latencyCells(summarize(reinTotal(reinFirst)))],
    ["plain end to end: `import` -> model ready", ...latencyCells(summarize(total(plain)))],
    ["plain end to end, recorded binary", ...latencyCells(summarize(total(plainRecorded)))],
    [extraCertificates ? "`node -e 0`, spawn to exit (with this environment's `NODE_EXTRA_CA_CERTS`)" : "`node -e 0`, spawn to exit", ...latencyCells(summarize(bare("node")!))],
    ...(extraCertificates ? [["`node -e 0` without `NODE_EXTRA_CA_CERTS` (as the worker starts)", ...latencyCells(summarize(bare("node-without-extra-ca")!))]] : []),
  ];
  const handshakeP50 = median(rein.map((sample) => sample.handshakeMs));
  const firstLoadP50 = median(rein.map((sample) => sample.firstLoadMs));
  const plainReadyP50 = median(ready(plain));
  const memory = markdownTable(
    ["worker RSS (median)", "MiB"],
    [
      ["idle, after the handshake", formatMebibytes(median(rein.map((sample) => sample.idleRss)))],
      ["tiny model loaded", formatMebibytes(median(rein.map((sample) => sample.loadedRss)))],
      ["after `unloadModel`", formatMebibytes(median(rein.map((sample) => sample.unloadedRss)))],
    ],
  );
  const notes = [
    verdict(handshakeP50 <= HANDSHAKE_TARGET_MS, `Worker spawn + handshake p50 ${formatNumber(handshakeP50)} ms (target ≤ ${HANDSHAKE_TARGET_MS} ms, n = ${rounds}; first start on a machine: ${formatNumber(median(reinFirst.map((sample) => sample.handshakeMs)))} ms).`),
    verdict(
      firstLoadP50 <= plainReadyP50 + FIRST_LOAD_ALLOWANCE_MS,
      `First \`loadModel\` p50 ${formatNumber(firstLoadP50)} ms vs plain getLlama + load + context ${formatNumber(plainReadyP50)} ms (target ≤ plain + ${FIRST_LOAD_ALLOWANCE_MS} ms). The worker imports node-llama-cpp right after answering its handshake, and starts the llama.cpp binary a tested getLlama() loaded before without node-llama-cpp's child-process binary test (a plain app pays that test on every start; the "recorded binary" rows are a plain app that skips it too: ${formatNumber(median(ready(plainRecorded)))} ms). A first start on a machine runs the test: ${formatNumber(median(reinFirst.map((sample) => sample.firstLoadMs)))} ms.`,
    ),
    `End to end, from \`createClient()\` to a loaded model, Rein takes ${formatNumber(median(reinTotal(rein)))} ms, a plain app ${formatNumber(median(total(plain)))} ms from its \`import\` (${formatNumber(median(total(plainRecorded)))} ms skipping the binary test like Rein), medians.`,
  ];
  const behind: BehindNote[] = [];
  if (handshakeP50 > HANDSHAKE_TARGET_MS) {
    behind.push({
      cause: "process start",
      gap: `Worker spawn + handshake p50 ${formatNumber(handshakeP50)} ms, over the ${HANDSHAKE_TARGET_MS} ms target.`,
      why: `A new Node process (\`node -e 0\` p50 ${formatNumber(median(bare(extraCertificates ? "node-without-extra-ca" : "node")!))} ms here, spawn to exit) plus the worker's own start: compiling the bundle with its V8 code cache, loading node:net and node:stream, zod's module and the two schemas a handshake parses; node-llama-cpp is not on this path.`,
      fix: "Fewer of Node's modules before the handshake (node:net pulls in the whole stream stack), or zod/mini in the worker; a user-land startup snapshot was slower than plain node on Node 20 (docs/packaging.md).",
    });
  }
  if (firstLoadP50 > plainReadyP50 + FIRST_LOAD_ALLOWANCE_MS) {
    behind.push({
      cause: "engine import",
      gap: `First \`loadModel\` p50 ${formatNumber(firstLoadP50)} ms, over plain getLlama + load + context ${formatNumber(plainReadyP50)} ms + ${FIRST_LOAD_ALLOWANCE_MS} ms.`,
      why: "A load sent right after ready() waits for the rest of the worker's import of node-llama-cpp, which a plain app pays before its getLlama().",
      fix: "Less to import: node-llama-cpp's module graph is loaded whole by its index.",
    });
  }
  return { title: "Cold start", body: blocks(markdownTable(["step (ms)", ...LATENCY_HEADERS], rows), memory, notes.join("\n\n")), behind };
}

async function withEmptyCache<T>(body: (cacheDir: string) => Promise<T>): Promise<T> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), "rein-bench-first-"));
  try {
    return await body(cacheDir);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

async function reinColdStart(threads: number, modelPath: string, cacheDir: string): Promise<ReinColdStart> {
  const startedAt = performance.now();
  await using client = await startReinClient({ threads, cacheDir });
  const handshakeMs = performance.now() - startedAt;
  const idleRss = (await client.inspect()).memory.rss;
  const loadStartedAt = performance.now();
  const modelId = await client.loadModel({ modelSrc: modelPath, modelConfig: reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 1 }) });
  const firstLoadMs = performance.now() - loadStartedAt;
  const loadedRss = (await client.inspect()).memory.rss;
  await client.unloadModel({ modelId });
  const unloadedRss = (await client.inspect()).memory.rss;
  return { handshakeMs, firstLoadMs, idleRss, loadedRss, unloadedRss };
}

async function bareNodeStart(env: NodeJS.ProcessEnv): Promise<BareNodeStart> {
  const startedAt = performance.now();
  await run(process.execPath, ["-e", "0"], { env: { ...env, NODE_OPTIONS: "" } });
  return { bareMs: performance.now() - startedAt };
}

async function plainColdStart(threads: number, modelPath: string, recordFile?: string): Promise<PlainColdStart> {
  const script = [plainScript, modelPath, String(threads), String(CONTEXT_SIZE), ...(recordFile ? [recordFile] : [])];
  const { stdout } = await run(process.execPath, script, { env: { ...process.env, NODE_OPTIONS: "" } });
  return JSON.parse(stdout) as PlainColdStart;
}
