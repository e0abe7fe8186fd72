/**
 * CPU profiles of the streaming and cancel hot path (see docs/hot-path.md): 10 uncancelled 512-token runs,
 * then 60 runs cancelled after 8..47 chunks, on one worker. Profile both processes:
 *
 * ```sh
 * npm run build
 * REIN_PROFILE_DIR=/tmp/prof node --cpu-prof --cpu-prof-dir=/tmp/prof --cpu-prof-interval 100 \
 *   --import tsx bench/profile-hot-path.ts tiny
 * ```
 *
 * `--cpu-prof` is refused in NODE_OPTIONS, so the worker profiles itself: with `REIN_PROFILE_DIR` set, the
 * worker entry is `bench/harness/profiled-worker-entry.mjs`, which runs the real entry under the inspector's
 * profiler and writes `worker-<pid>.cpuprofile` there when the worker exits.
 */
import { createClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";
import { shortHistory } from "./harness/prompts.ts";
import { reinModelConfig, runReinGeneration } from "./harness/rein-engine.ts";

const preset = (process.argv[2] ?? "tiny") as "tiny" | "medium";
const profiled = process.env.REIN_PROFILE_DIR !== undefined;
const modelPath = await testModelPath({ preset });
await using client = createClient({
  threads: 1,
  workerStdio: "inherit",
  workerEntry: profiled ? new URL("./harness/profiled-worker-entry.mjs", import.meta.url).pathname : undefined,
});
const modelId = await client.loadModel({ modelSrc: modelPath, modelConfig: reinModelConfig({ threads: 1, contextSize: 2048, parallel: 1 }) });
const settings = { maxTokens: 512, temperature: 0.8, seed: 42 };
const startedAt = performance.now();
for (let round = 0; round < 10; round += 1) await runReinGeneration({ client, modelId, history: shortHistory(round), settings, cancel: { kind: "none" } });
const streamedAt = performance.now();
const latencies: number[] = [];
for (let round = 0; round < 60; round += 1) {
  const cancel = { kind: "afterChunks", chunks: 8 + ((round * 13) % 40) } as const;
  const trace = await runReinGeneration({ client, modelId, history: shortHistory(100 + round), settings: { ...settings, maxTokens: 1024 }, cancel });
  latencies.push(trace.settledAt - (trace.cancelAt ?? trace.settledAt));
}
latencies.sort((left, right) => left - right);
process.stdout.write(`streaming ${(streamedAt - startedAt).toFixed(0)} ms; cancel -> completionDone p50 ${latencies[30]!.toFixed(2)} ms, max ${latencies.at(-1)!.toFixed(2)} ms\n`);
