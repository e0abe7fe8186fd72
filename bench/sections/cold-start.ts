import { execFile } from "node:child_process";
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

/**
 * Section: cold start. A fresh Rein client (the built packages: `npm run bench` builds first) against a fresh
 * plain node-llama-cpp process, interleaved: worker spawn + handshake, the first `loadModel` of the tiny model in
 * that fresh worker, and the worker's RSS idle, with the model, and after `unloadModel`.
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
  context.progress(`${rounds} interleaved cold starts, Rein and plain`);
  const results = await interleave<ReinColdStart | PlainColdStart>({
    warmupRounds: 1,
    rounds,
    variants: [
      { name: "rein", run: () => reinColdStart(threads, modelPath) },
      { name: "plain", run: () => plainColdStart(threads, modelPath) },
    ],
  });
  const rein = results.get("rein") as ReinColdStart[];
  const plain = results.get("plain") as PlainColdStart[];
  const plainReady = plain.map((sample) => sample.getLlamaMs + sample.loadMs);
  const plainTotal = plain.map((sample) => sample.importMs + sample.getLlamaMs + sample.loadMs);
  const reinTotal = rein.map((sample) => sample.handshakeMs + sample.firstLoadMs);
  const rows = [
    ["Rein: worker spawn + handshake (`ready()`)", ...latencyCells(summarize(rein.map((sample) => sample.handshakeMs)))],
    ["Rein: first `loadModel` in that worker (tiny)", ...latencyCells(summarize(rein.map((sample) => sample.firstLoadMs)))],
    ["plain: `import(\"node-llama-cpp\")`", ...latencyCells(summarize(plain.map((sample) => sample.importMs)))],
    ["plain: `getLlama()` + load + context + chat wrapper", ...latencyCells(summarize(plainReady))],
    ["Rein end to end: `createClient()` -> model ready", ...latencyCells(summarize(reinTotal))],
    ["plain end to end: `import` -> model ready", ...latencyCells(summarize(plainTotal))],
  ];
  const handshakeP50 = median(rein.map((sample) => sample.handshakeMs));
  const firstLoadP50 = median(rein.map((sample) => sample.firstLoadMs));
  const plainReadyP50 = median(plainReady);
  const memory = markdownTable(
    ["worker RSS (median)", "MiB"],
    [
      ["idle, after the handshake", formatMebibytes(median(rein.map((sample) => sample.idleRss)))],
      ["tiny model loaded", formatMebibytes(median(rein.map((sample) => sample.loadedRss)))],
      ["after `unloadModel`", formatMebibytes(median(rein.map((sample) => sample.unloadedRss)))],
    ],
  );
  const notes = [
    verdict(handshakeP50 <= HANDSHAKE_TARGET_MS, `Worker spawn + handshake p50 ${formatNumber(handshakeP50)} ms (target ≤ ${HANDSHAKE_TARGET_MS} ms, n = ${rounds}).`),
    verdict(
      firstLoadP50 <= plainReadyP50 + FIRST_LOAD_ALLOWANCE_MS,
      `First \`loadModel\` p50 ${formatNumber(firstLoadP50)} ms vs plain getLlama + load + context ${formatNumber(plainReadyP50)} ms (target ≤ plain + ${FIRST_LOAD_ALLOWANCE_MS} ms). The worker imports node-llama-cpp and calls getLlama() right after answering its handshake, so that work overlaps whatever the app does between \`ready()\` and its first \`loadModel\`; a load sent at once still waits for the rest of the import, which a plain app pays at its own start (the plain import row).`,
    ),
    `End to end, from \`createClient()\` to a loaded model, Rein takes ${formatNumber(median(reinTotal))} ms and a plain app ${formatNumber(median(plainTotal))} ms from its \`import\` (medians): the difference is the worker's own process start and handshake.`,
  ];
  const behind: BehindNote[] = [];
  if (handshakeP50 > HANDSHAKE_TARGET_MS) {
    behind.push({
      cause: "process start",
      gap: `Worker spawn + handshake p50 ${formatNumber(handshakeP50)} ms, over the ${HANDSHAKE_TARGET_MS} ms target.`,
      why: "A new Node process (~40-100 ms on this machine) plus compiling and running the bundled worker (zod's schemas are most of it); node-llama-cpp is not on this path.",
      fix: "Node 22's module compile cache (module.enableCompileCache) would cut the compile share; zod/mini would cut the bundle.",
    });
  }
  return { title: "Cold start", body: blocks(markdownTable(["step (ms)", ...LATENCY_HEADERS], rows), memory, notes.join("\n\n")), behind };
}

async function reinColdStart(threads: number, modelPath: string): Promise<ReinColdStart> {
  const startedAt = performance.now();
  await using client = await startReinClient({ threads });
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

async function plainColdStart(threads: number, modelPath: string): Promise<PlainColdStart> {
  const { stdout } = await run(process.execPath, [plainScript, modelPath, String(threads), String(CONTEXT_SIZE)], { env: { ...process.env, NODE_OPTIONS: "" } });
  return JSON.parse(stdout) as PlainColdStart;
}
