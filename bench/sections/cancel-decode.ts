import { testModelPath } from "@rein/test-model";
import type { BenchContext } from "../bench-context.ts";
import type { ModelPreset } from "../bench-options.ts";
import {
  cancelLatencyMs,
  cancelToStopMs,
  decodeTokensPerSecond,
  present,
  type GenerationSettings,
  type GenerationTrace,
} from "../harness/generation-trace.ts";
import { cancelBreakdown, HOT_PATH_OP, workerCancelStages, type WorkerCancelStages } from "../harness/cancel-breakdown.ts";
import { chatPromptCostMs } from "../harness/diagnostics.ts";
import { createPlainContext, loadPlainModel, runPlainGeneration } from "../harness/plain-engine.ts";
import { shortHistory } from "../harness/prompts.ts";
import { PipeEcho, roundTripsDuring } from "../harness/pipe-floor.ts";
import { reinModelConfig, runReinGeneration, startReinClient } from "../harness/rein-engine.ts";
import { cancelBesideNewRequest, PROCESS_HOP } from "./cancel-beside-new-request.ts";
import { blocks, formatNumber, LATENCY_HEADERS, latencyCells, markdownTable, verdict, type BehindNote, type SectionReport } from "../report.ts";
import { interleave, median, summarize } from "../stats.ts";

const CONTEXT_SIZE = 2048;
const SETTINGS: GenerationSettings = { maxTokens: 1024, temperature: 0.8, seed: 42 };
/** Target (README, Benchmarks; issue 17's bar): cancel p99 within one decode step + this. */
const CANCEL_SLACK_MS = 1;
/** Round trips to a bare echo process per floor row (idle, and while the worker decodes). */
const FLOOR_SAMPLES = 150;
/** Target (issue 17's bar): cancel p50 at most this. */
const CANCEL_MEDIAN_TARGET_MS = 0.5;

/**
 * Section 1: cancel during decode. Rein: `run.cancel()` -> `completionDone`
 * in the client's loop. Plain: `abort()` -> generateCompletion settles. The
 * cancel point varies per round (8..47 chunks in) so it lands at every phase
 * of a decode step.
 *
 * @example
 * ```ts
 * const section = await cancelDecodeSection(context);
 * ```
 */
export async function cancelDecodeSection(context: BenchContext): Promise<SectionReport> {
  const parts: SectionReport[] = [];
  for (const preset of context.options.presets) parts.push(await cancelDecodeForPreset(context, preset));
  return {
    title: "1. Cancel during decode",
    body: blocks(...parts.map((part) => `### ${part.title}\n\n${part.body}`)),
    behind: parts.flatMap((part) => part.behind),
  };
}

async function cancelDecodeForPreset(context: BenchContext, preset: ModelPreset): Promise<SectionReport> {
  const { threads, repetitions } = context.options;
  const modelPath = await testModelPath({ preset });
  // The bench-only op reads the worker's stage times of each cancel after the round (outside the measured window).
  await using client = await startReinClient({ threads, opModules: [HOT_PATH_OP] });
  const modelId = await client.loadModel({ modelSrc: modelPath, modelConfig: reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 1 }) });
  const plainModel = await loadPlainModel(modelPath);
  const plain = await createPlainContext(plainModel, { threads, contextSize: CONTEXT_SIZE, sequences: 1 });
  try {
    context.progress(`${preset}: decode step of the plain path`);
    const stepRuns: GenerationTrace[] = [];
    for (let round = 0; round < 6; round += 1) {
      const trace = await runPlainGeneration({
        model: plainModel,
        completion: plain.completions[0]!,
        history: shortHistory(10_000 + round),
        settings: { ...SETTINGS, maxTokens: 256 },
        cancel: { kind: "none" },
      });
      if (round > 0) stepRuns.push(trace);
    }
    const tokensPerSecond = median(present(stepRuns.map(decodeTokensPerSecond)));
    const decodeStepMs = 1000 / tokensPerSecond;

    context.progress(`${preset}: ${repetitions} interleaved cancel rounds`);
    const cancelAfter = (round: number) => 8 + ((round * 13) % 40);
    const workerStages = new Map<GenerationTrace, WorkerCancelStages | null>();
    const results = await interleave<GenerationTrace>({
      warmupRounds: 3,
      rounds: repetitions,
      variants: [
        {
          name: "rein",
          run: async (round) => {
            const trace = await runReinGeneration({ client, modelId, history: shortHistory(round), settings: SETTINGS, cancel: { kind: "afterChunks", chunks: cancelAfter(round) } });
            workerStages.set(trace, await workerCancelStages(client, trace));
            return trace;
          },
        },
        {
          name: "plain",
          run: (round) =>
            runPlainGeneration({
              model: plainModel,
              completion: plain.completions[0]!,
              history: shortHistory(round),
              settings: SETTINGS,
              cancel: { kind: "afterChunks", chunks: cancelAfter(round) },
            }),
        },
      ],
    });
    const rein = results.get("rein")!;

    context.progress(`${preset}: pipe round trips with no Rein code, idle and while the worker decodes`);
    await using echo = await PipeEcho.start();
    const floor = { idle: await roundTripsDuring(echo, new Promise((resolve) => setTimeout(resolve, 600)), FLOOR_SAMPLES), duringDecode: [] as number[] };
    for (let round = 0; round < 8 && floor.duringDecode.length < FLOOR_SAMPLES; round += 1) {
      const generation = runReinGeneration({ client, modelId, history: shortHistory(20_000 + round), settings: SETTINGS, cancel: { kind: "none" } });
      floor.duringDecode.push(...(await roundTripsDuring(echo, generation, FLOOR_SAMPLES - floor.duringDecode.length)));
    }
    const main = report({ rein, plain: results.get("plain")!, decodeStepMs, tokensPerSecond, preset, floor });
    const breakdown = cancelBreakdown(rein.map((trace) => ({ trace, worker: workerStages.get(trace) ?? null })));
    const beside = await cancelBesideNewRequest(context, { modelPath, plainModel, decodeStepMs, slackMs: CANCEL_SLACK_MS, formattingMs: chatPromptCostMs(plainModel) });
    return { ...main, body: blocks(main.body, "Where the time of `run.cancel()` -> `completionDone` goes:", breakdown, beside.body), behind: [...main.behind, ...beside.behind] };
  } finally {
    await plain.dispose();
    await plainModel.dispose();
  }
}

function report(data: {
  rein: GenerationTrace[];
  plain: GenerationTrace[];
  decodeStepMs: number;
  tokensPerSecond: number;
  preset: string;
  floor: { idle: number[]; duringDecode: number[] };
}): SectionReport {
  const floorIdle = summarize(data.floor.idle);
  const floorDecoding = summarize(data.floor.duringDecode);
  const reinLatency = summarize(present(data.rein.map(cancelLatencyMs)));
  const plainLatency = summarize(present(data.plain.map(cancelLatencyMs)));
  const workerStop = summarize(present(data.rein.map(cancelToStopMs)));
  const rpcReply = summarize(present(data.rein.map((trace) => (trace.cancelRepliedAt === null || trace.cancelAt === null ? null : trace.cancelRepliedAt - trace.cancelAt))));
  const afterCancel = (traces: GenerationTrace[]) => {
    const counts = traces.map((trace) => trace.chunksAfterCancel);
    return `${formatNumber(median(counts), 0)} / ${formatNumber(Math.max(...counts), 0)}`;
  };
  const cancelledCount = (traces: GenerationTrace[]) => traces.filter((trace) => trace.stopReason === "cancelled" || trace.stopReason === "abort").length;
  const table = markdownTable(
    ["path (ms)", "n", ...LATENCY_HEADERS, "chunks delivered after cancel (median / max)", "stopped as cancelled"],
    [
      ["Rein: `run.cancel()` -> `completionDone(cancelled)`", String(reinLatency.count), ...latencyCells(reinLatency), afterCancel(data.rein), `${cancelledCount(data.rein)}/${data.rein.length}`],
      ["plain node-llama-cpp: `abort()` -> promise settled", String(plainLatency.count), ...latencyCells(plainLatency), afterCancel(data.plain), `${cancelledCount(data.plain)}/${data.plain.length}`],
      ["Rein: `cancel()` RPC reply (same runs)", String(rpcReply.count), ...latencyCells(rpcReply), "", ""],
      ["Rein: `cancel()` -> worker ended the request (lifecycle `end` at the client)", String(workerStop.count), ...latencyCells(workerStop), "", ""],
      ["floor, no Rein code: 1 byte to a plain Node process over a pipe and back, while the worker decodes", String(floorDecoding.count), ...latencyCells(floorDecoding), "", ""],
      ["floor, no Rein code: the same round trip, nothing decoding", String(floorIdle.count), ...latencyCells(floorIdle), "", ""],
    ],
  );
  const targetMs = data.decodeStepMs + CANCEL_SLACK_MS;
  const met = reinLatency.p99 <= targetMs;
  const medianMet = reinLatency.p50 <= CANCEL_MEDIAN_TARGET_MS;
  const overheadMs = reinLatency.p50 - plainLatency.p50;
  const behind: BehindNote[] = [];
  if (!met || !medianMet || overheadMs > 0) {
    behind.push({
      ...PROCESS_HOP,
      gap: `Cancel during decode (${data.preset}): Rein p50 ${formatNumber(reinLatency.p50)} / p99 ${formatNumber(reinLatency.p99)} ms vs plain ${formatNumber(plainLatency.p50)} / ${formatNumber(plainLatency.p99)} ms${met ? "" : `; p99 misses the ${formatNumber(targetMs)} ms target (decode step ${formatNumber(data.decodeStepMs)} ms + ${CANCEL_SLACK_MS} ms)`}; the cancel RPC reply alone took p50 ${formatNumber(rpcReply.p50)} ms.`,
    });
  }
  const lines = [
    `Decode step (plain, uncancelled, 256 tokens): **${formatNumber(data.decodeStepMs)} ms** (${formatNumber(data.tokensPerSecond, 0)} tokens/s). Target: p99 <= one decode step + ${CANCEL_SLACK_MS} ms = ${formatNumber(targetMs)} ms.`,
    `Rein's median is ${formatNumber(Math.abs(overheadMs))} ms ${overheadMs > 0 ? "slower" : "faster"} than plain in-process abort. A cancel through Rein is one round trip between two processes plus the code at both ends; the two floor rows are that round trip alone on this machine (a bare echo process, measured in this run), so the code's share is roughly the difference (${formatNumber(reinLatency.p50 - floorDecoding.p50)} ms at the median). The last row is when the worker really finished (native decode stopped, sequence released); the app's \`completionDone\` may come before it. "Chunks delivered after cancel" counts contentDelta events the client loop still received after calling cancel() (they were already in flight); plain counts onTextChunk calls after abort().`,
    verdict(met, `Rein p99 ${formatNumber(reinLatency.p99)} ms ${met ? "<=" : ">"} ${formatNumber(targetMs)} ms target (n = ${reinLatency.count}${reinLatency.count < 100 ? ": p99 lies between the two largest samples" : ""}).`),
    verdict(medianMet, `Rein p50 ${formatNumber(reinLatency.p50)} ms ${medianMet ? "<=" : ">"} ${formatNumber(CANCEL_MEDIAN_TARGET_MS)} ms target.`),
  ];
  return { title: `${data.preset} model`, body: blocks(table, lines.join("\n\n")), behind };
}
