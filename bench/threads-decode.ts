/**
 * Decode tokens/s of plain in-process node-llama-cpp on the tiny test model
 * for several thread counts, to show what more threads than cores costs
 * (the measurement behind Rein's thread clamp; see docs/decisions.md).
 *
 *   node --import tsx bench/threads-decode.ts [--threads 1,2,4] [--tokens 400]
 *
 * Takes a few seconds per thread count; prints one markdown row each with the load average beside it.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { testModelPath } from "@rein/test-model";
import { LlamaCompletion } from "node-llama-cpp";
import { loadPlainModel } from "./harness/plain-engine.ts";

const { values } = parseArgs({ options: { threads: { type: "string", default: "1,2,4" }, tokens: { type: "string", default: "400" } } });
const threadCounts = values.threads.split(",").map(Number);
const maxTokens = Number(values.tokens);
const model = await loadPlainModel(await testModelPath({ preset: "tiny" }));
console.log(`cores available: ${os.availableParallelism()}; tiny model; ${maxTokens} tokens per row`);
console.log("| threads | decode tok/s | load average (1 min) |");
console.log("|---|---|---|");
for (const threads of threadCounts) {
  const context = await model.createContext({ contextSize: 2048, threads, sequences: 1 });
  const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
  let firstAt = 0;
  let generated = 0;
  await completion.generateCompletion("Tell me a long story about cancellation.", {
    maxTokens,
    temperature: 0,
    onToken: () => {
      generated += 1;
      if (generated === 1) firstAt = performance.now();
    },
  });
  const seconds = (performance.now() - firstAt) / 1000;
  console.log(`| ${threads} | ${((generated - 1) / seconds).toFixed(0)} | ${os.loadavg()[0]!.toFixed(2)} |`);
  await context.dispose();
}
await model.dispose();
