import { testModelPath } from "@rein/test-model";
import { createClient } from "@rein/sdk";
import { startHostProcess } from "../../test/remote/host-process.ts";
import type { BenchContext } from "../bench-context.ts";
import { cancelLatencyMs, decodeTokensPerSecond, present, timeToFirstChunkMs, type GenerationSettings, type GenerationTrace } from "../harness/generation-trace.ts";
import { createPlainContext, loadPlainModel, runPlainGeneration } from "../harness/plain-engine.ts";
import { shortHistory } from "../harness/prompts.ts";
import { reinModelConfig, runReinGeneration, startReinClient } from "../harness/rein-engine.ts";
import { blocks, formatNumber, formatPercent, LATENCY_HEADERS, latencyCells, markdownTable, type SectionReport } from "../report.ts";
import { interleave, median, pairedRatio, summarize } from "../stats.ts";

const CONTEXT_SIZE = 2048;
const API_KEY = "bench-key";

/**
 * Remote clients: the same completions through a WebSocket to a Rein host in
 * its own process (what `rein serve` runs), through a local worker on the fd-3
 * pipe, and in-process on node-llama-cpp, interleaved in one run. Measures
 * decode tokens/s, time to first token and cancel -> `completionDone` as the
 * client sees it (a remote client gets no lifecycle lines, so the worker-side
 * stop is not timed here).
 *
 * @example
 * ```ts
 * const section = await remoteClientSection(context);
 * ```
 */
export async function remoteClientSection(context: BenchContext): Promise<SectionReport> {
  const { threads, repetitions } = context.options;
  const modelPath = await testModelPath({ preset: "tiny" });
  const modelConfig = reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 1 });
  const settings: GenerationSettings = { maxTokens: 256, temperature: 0.8, seed: 42 };
  const rounds = Math.max(4, repetitions);
  context.progress(`starting a host process and a local worker (${rounds} rounds)`);
  const host = await startHostProcess({ keys: { [API_KEY]: "bench" }, models: [{ name: "tiny", modelSrc: modelPath, modelConfig }] });
  const remote = createClient({ url: host.url, apiKey: API_KEY });
  await using local = await startReinClient({ threads });
  const localModel = await local.loadModel({ modelSrc: modelPath, modelConfig });
  const plainModel = await loadPlainModel(modelPath);
  const plain = await createPlainContext(plainModel, { threads, contextSize: CONTEXT_SIZE, sequences: 1 });
  try {
    const remoteModel = await remote.loadModel({ modelSrc: "tiny" });
    const none = { kind: "none" } as const;
    const streaming = await interleave<GenerationTrace>({
      warmupRounds: 2,
      rounds,
      variants: [
        { name: "remote", run: (round) => runReinGeneration({ client: remote, modelId: remoteModel, history: shortHistory(round), settings, cancel: none }) },
        { name: "local", run: (round) => runReinGeneration({ client: local, modelId: localModel, history: shortHistory(round), settings, cancel: none }) },
        { name: "plain", run: (round) => runPlainGeneration({ model: plainModel, completion: plain.completions[0]!, history: shortHistory(round), settings, cancel: none }) },
      ],
    });
    context.progress("cancel after 16 chunks");
    const cancel = { kind: "afterChunks", chunks: 16 } as const;
    const long = { ...settings, maxTokens: 100_000 };
    const cancels = await interleave<GenerationTrace>({
      warmupRounds: 1,
      rounds: rounds * 2,
      variants: [
        { name: "remote", run: (round) => runReinGeneration({ client: remote, modelId: remoteModel, history: shortHistory(round), settings: long, cancel }) },
        { name: "local", run: (round) => runReinGeneration({ client: local, modelId: localModel, history: shortHistory(round), settings: long, cancel }) },
        { name: "plain", run: (round) => runPlainGeneration({ model: plainModel, completion: plain.completions[0]!, history: shortHistory(round), settings: long, cancel }) },
      ],
    });
    return report({ streaming, cancels, rounds });
  } finally {
    await remote.close();
    await host.stop();
    await plain.dispose();
    await plainModel.dispose();
  }
}

function report(data: { streaming: Map<string, GenerationTrace[]>; cancels: Map<string, GenerationTrace[]>; rounds: number }): SectionReport {
  const rate = (name: string) => data.streaming.get(name)!.map((trace) => decodeTokensPerSecond(trace) ?? Number.NaN);
  const firstChunk = (name: string) => present(data.streaming.get(name)!.map(timeToFirstChunkMs));
  const plainRate = rate("plain");
  const streamingRows = ["remote", "local", "plain"].map((name) => [
    name === "remote" ? "remote client (WebSocket, host process)" : name === "local" ? "local client (fd-3 worker)" : "in-process node-llama-cpp",
    formatNumber(median(rate(name)), 1),
    name === "plain" ? "—" : formatPercent(pairedRatio(rate(name), plainRate)),
    formatNumber(median(firstChunk(name))),
  ]);
  const cancelRows = ["remote", "local", "plain"].map((name) => [name, ...latencyCells(summarize(present(data.cancels.get(name)!.map(cancelLatencyMs))))]);
  return {
    title: "Remote clients (WebSocket) beside the local worker and in-process",
    body: blocks(
      `Tiny model, parallel 1, ${data.rounds} interleaved rounds of 256 tokens; cancel runs: ${data.rounds * 2} rounds, cancelled after the 16th chunk. ` +
        "Ratios are paired per round. With n this small, p99 is the largest sample or next to it.",
      markdownTable(["path", "decode tokens/s (median)", "vs in-process", "first chunk ms (median)"], streamingRows),
      "Cancel -> `completionDone` at the client (ms):",
      markdownTable(["path", ...LATENCY_HEADERS], cancelRows),
    ),
    behind: [],
  };
}
