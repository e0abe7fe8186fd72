/**
 * The client's memory over one very long completion (default 100,000 tokens on
 * the tiny model, which never emits EOS): JS heap after a full GC at the start,
 * every 10% of the run and at the end, beside the text the run itself must
 * keep (`run.text`, `partialText`), and how many events its replay buffer
 * holds. A buffer that grew without bound would show as heap growing with the
 * number of deltas instead of with the text.
 *
 *   node --expose-gc --import tsx bench/long-run-heap.ts [--tokens 100000] [--threads 1]
 *
 * One run takes ~1-2 minutes on one thread of a 2-core machine; it is not part of `npm run bench`.
 */
import { parseArgs } from "node:util";
import { createClient } from "@rein/sdk";
import { exampleModelPath } from "@rein/test-model";

const { values } = parseArgs({ options: { tokens: { type: "string", default: "100000" }, threads: { type: "string", default: "1" } } });
const tokens = Number(values.tokens);
const threads = Number(values.threads);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (see the header)");

const heapMiB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const client = createClient({ threads, workerStdio: "ignore" });
const modelId = await client.loadModel({ modelSrc: await exampleModelPath(), modelConfig: { ctx_size: 2048 } });
const before = heapMiB();
const run = client.completion({ modelId, history: [{ role: "user", content: "Talk for a long time." }], maxTokens: tokens, temperature: 0.8, seed: 7 });
const samples: { deltas: number; characters: number; heapMiB: number }[] = [];
let deltas = 0;
let characters = 0;
let nextSampleAt = 0;
const startedAt = performance.now();
for await (const event of run.events) {
  if (event.type !== "contentDelta") continue;
  deltas += 1;
  characters += event.text.length;
  if (characters >= nextSampleAt) {
    samples.push({ deltas, characters, heapMiB: heapMiB() });
    // About ten rows: the tiny model averages roughly three characters per token.
    nextSampleAt += Math.max(1, Math.floor((tokens * 3) / 10));
  }
}
const final = await run.final;
const seconds = (performance.now() - startedAt) / 1000;
let replayed = 0;
for await (const _ of run.events) replayed += 1;
const after = heapMiB();
samples.push({ deltas, characters, heapMiB: after });
await client.close();

const textMiB = (final.contentText.length * 2) / 2 ** 20; // upper bound: two bytes per UTF-16 unit
console.log(`# Client heap over one ${final.stats?.generatedTokens ?? "?"}-token completion (threads ${threads}, ${seconds.toFixed(1)} s, ${(final.stats?.tokensPerSecond ?? 0).toFixed(0)} tok/s)`);
console.log("");
console.log("| deltas received | characters | client heap (MiB, after GC) | growth since start |");
console.log("|---|---|---|---|");
for (const sample of samples) console.log(`| ${sample.deltas} | ${sample.characters} | ${sample.heapMiB.toFixed(2)} | ${(sample.heapMiB - before).toFixed(2)} |`);
console.log("");
console.log(`heap before the run: ${before.toFixed(2)} MiB; after: ${after.toFixed(2)} MiB (+${(after - before).toFixed(2)} MiB)`);
console.log(`text kept by the run itself: ${final.contentText.length} characters (<= ${textMiB.toFixed(2)} MiB)`);
console.log(`events the replay buffer held at the end: ${replayed} (of ${deltas} deltas + stats + done)`);
