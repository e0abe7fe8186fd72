import { testModelPath } from "@rein/test-model";
import { shortHistory } from "./harness/prompts.ts";
import { reinModelConfig, runReinGeneration, startReinClient } from "./harness/rein-engine.ts";

const preset = (process.argv[2] ?? "tiny") as "tiny" | "medium";
const modelPath = await testModelPath({ preset });
const { createClient } = await import("@rein/sdk");
await using client = createClient({ threads: 1, workerStdio: "inherit", workerEntry: process.env.PROF_ENTRY });
await client.ready();
const modelId = await client.loadModel({ modelSrc: modelPath, modelConfig: reinModelConfig({ threads: 1, contextSize: 2048, parallel: 1 }) });
const settings = { maxTokens: 512, temperature: 0.8, seed: 42 };
const started = performance.now();
for (let round = 0; round < 10; round += 1) await runReinGeneration({ client, modelId, history: shortHistory(round), settings, cancel: { kind: "none" } });
const streamed = performance.now();
const latencies: number[] = [];
for (let round = 0; round < 60; round += 1) {
  const trace = await runReinGeneration({ client, modelId, history: shortHistory(100 + round), settings: { ...settings, maxTokens: 1024 }, cancel: { kind: "afterChunks", chunks: 8 + ((round * 13) % 40) } });
  latencies.push(trace.settledAt - trace.cancelAt!);
}
latencies.sort((a, b) => a - b);
console.log(`streaming ${(streamed - started).toFixed(0)} ms; cancel p50 ${latencies[30]!.toFixed(2)} max ${latencies.at(-1)!.toFixed(2)}`);
