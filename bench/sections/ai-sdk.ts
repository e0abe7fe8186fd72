import { createRein } from "@rein/ai-sdk-provider";
import { testModelPath } from "@rein/test-model";
import type { BenchContext } from "../bench-context.ts";
import type { ModelPreset } from "../bench-options.ts";
import { runProviderGeneration } from "../harness/ai-sdk-engine.ts";
import { cancelLatencyMs, cancelToStopMs, decodeTokensPerSecond, present, timeToFirstChunkMs, type GenerationSettings, type GenerationTrace } from "../harness/generation-trace.ts";
import { createPlainContext, loadPlainModel, runPlainGeneration } from "../harness/plain-engine.ts";
import { shortHistory } from "../harness/prompts.ts";
import { lifecycleWatchOf, reinModelConfig, runReinGeneration, startReinClient } from "../harness/rein-engine.ts";
import { blocks, formatNumber, formatPercent, LATENCY_HEADERS, latencyCells, markdownTable, verdict, type BehindNote, type SectionReport } from "../report.ts";
import { interleave, median, pairedRatio, summarize } from "../stats.ts";

const CONTEXT_SIZE = 2048;
/** Target: `streamText` through the provider keeps at least this share of Rein's direct tokens/s. */
const PROVIDER_TARGET = 0.95;
/** Target (as for Rein's own cancel): abort -> worker stopped within one decode step + this. */
const STOP_SLACK_MS = 2;

/**
 * Section: the Vercel AI SDK provider. `streamText` tokens/s and first token through
 * `@rein/ai-sdk-provider` beside the same completion through Rein directly and in-process
 * node-llama-cpp (same prompt, seed and sampling); then `abortSignal` -> the stream's end and ->
 * the worker's native stop (lifecycle `end`), p50/p99, beside Rein's `run.cancel()` and plain `abort()`.
 *
 * @example
 * ```ts
 * const section = await aiSdkSection(context);
 * ```
 */
export async function aiSdkSection(context: BenchContext): Promise<SectionReport> {
  const parts: SectionReport[] = [];
  for (const preset of context.options.presets) parts.push(await aiSdkForPreset(context, preset));
  return {
    title: "Vercel AI SDK provider",
    body: blocks(...parts.map((part) => `### ${part.title}\n\n${part.body}`)),
    behind: parts.flatMap((part) => part.behind),
  };
}

async function aiSdkForPreset(context: BenchContext, preset: ModelPreset): Promise<SectionReport> {
  const { threads, repetitions } = context.options;
  const modelPath = await testModelPath({ preset });
  const modelConfig = reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 1 });
  await using client = await startReinClient({ threads });
  const modelId = await client.loadModel({ modelSrc: modelPath, modelConfig });
  // Same source and config on the same client: the provider's model is the same Rein model.
  await using rein = createRein({ client });
  const model = rein(modelPath, { modelConfig });
  const watch = lifecycleWatchOf(client);
  const plainModel = await loadPlainModel(modelPath);
  const plain = await createPlainContext(plainModel, { threads, contextSize: CONTEXT_SIZE, sequences: 1 });
  try {
    const streamSettings: GenerationSettings = { maxTokens: preset === "tiny" ? 512 : 256, temperature: 0.8, seed: 42 };
    const streamRounds = Math.max(4, Math.ceil(repetitions / 2));
    const none = { kind: "none" } as const;
    context.progress(`${preset}: ${streamRounds} interleaved streaming rounds`);
    const streaming = await interleave<GenerationTrace>({
      warmupRounds: 2,
      rounds: streamRounds,
      variants: [
        { name: "provider", run: (round) => runProviderGeneration({ model, history: shortHistory(round), settings: streamSettings, cancel: none, watch }) },
        { name: "rein", run: (round) => runReinGeneration({ client, modelId, history: shortHistory(round), settings: streamSettings, cancel: none }) },
        { name: "plain", run: (round) => runPlainGeneration({ model: plainModel, completion: plain.completions[0]!, history: shortHistory(round), settings: streamSettings, cancel: none }) },
      ],
    });

    const cancelSettings: GenerationSettings = { maxTokens: 1024, temperature: 0.8, seed: 42 };
    const cancelAfter = (round: number) => ({ kind: "afterChunks", chunks: 8 + ((round * 13) % 40) }) as const;
    context.progress(`${preset}: ${repetitions} interleaved abort rounds`);
    const aborts = await interleave<GenerationTrace>({
      warmupRounds: 2,
      rounds: repetitions,
      variants: [
        { name: "provider", run: (round) => runProviderGeneration({ model, history: shortHistory(5_000 + round), settings: cancelSettings, cancel: cancelAfter(round), watch }) },
        { name: "rein", run: (round) => runReinGeneration({ client, modelId, history: shortHistory(5_000 + round), settings: cancelSettings, cancel: cancelAfter(round) }) },
        {
          name: "plain",
          run: (round) => runPlainGeneration({ model: plainModel, completion: plain.completions[0]!, history: shortHistory(5_000 + round), settings: cancelSettings, cancel: cancelAfter(round) }),
        },
      ],
    });
    const decodeStepMs = 1000 / median(present(streaming.get("plain")!.map(decodeTokensPerSecond)));
    return report({ preset, streaming, aborts, decodeStepMs, streamSettings });
  } finally {
    await plain.dispose();
    await plainModel.dispose();
  }
}

function report(data: { preset: string; streaming: Map<string, GenerationTrace[]>; aborts: Map<string, GenerationTrace[]>; decodeStepMs: number; streamSettings: GenerationSettings }): SectionReport {
  const behind: BehindNote[] = [];
  const rate = (name: string) => data.streaming.get(name)!.map((trace) => decodeTokensPerSecond(trace) ?? Number.NaN);
  const first = (name: string) => present(data.streaming.get(name)!.map(timeToFirstChunkMs));
  const providerVsRein = pairedRatio(rate("provider"), rate("rein"));
  const streamRows = [
    ["`streamText` through @rein/ai-sdk-provider", "provider"],
    ["Rein directly (`completion().events`)", "rein"],
    ["plain node-llama-cpp in process", "plain"],
  ].map(([label, name]) => [
    label!,
    String(data.streaming.get(name!)!.length),
    formatNumber(median(rate(name!)), 0),
    ...latencyCells(summarize(first(name!))),
    formatPercent(pairedRatio(rate(name!), rate("plain"))),
  ]);
  const streamTable = markdownTable(["path", "n", "tokens/s (median)", "TTFT p50 (ms)", "TTFT p95", "TTFT p99", "TTFT max", "tokens/s vs plain (paired median)"], streamRows);

  const stop = (name: string) => summarize(present(data.aborts.get(name)!.map(cancelToStopMs)));
  const settled = (name: string) => summarize(present(data.aborts.get(name)!.map(cancelLatencyMs)));
  const stoppedCount = (name: string) => data.aborts.get(name)!.filter((trace) => trace.stopReason === "cancelled" || trace.stopReason === "abort").length;
  const abortRows = [
    ["provider: `abortSignal` -> `fullStream` ended (`abort` part)", settled("provider"), stoppedCount("provider")],
    ["provider: `abortSignal` -> worker ended the request (lifecycle `end`)", stop("provider"), stoppedCount("provider")],
    ["Rein: `run.cancel()` -> worker ended the request", stop("rein"), stoppedCount("rein")],
    ["plain node-llama-cpp: `abort()` -> promise settled", settled("plain"), stoppedCount("plain")],
  ].map(([label, summary, count]) => [label as string, String((summary as ReturnType<typeof summarize>).count), ...latencyCells(summary as ReturnType<typeof summarize>), `${count as number}/${data.aborts.get("plain")!.length}`]);
  const abortTable = markdownTable(["path (ms)", "n", ...LATENCY_HEADERS, "stopped as cancelled"], abortRows);

  const providerStop = stop("provider");
  const targetMs = data.decodeStepMs + STOP_SLACK_MS;
  const stopMet = providerStop.p99 <= targetMs;
  const rateMet = providerVsRein >= PROVIDER_TARGET;
  if (!rateMet) {
    behind.push({
      cause: "AI SDK stream pipeline",
      gap: `streamText through the provider (${data.preset}) keeps ${formatPercent(providerVsRein)} of Rein's direct tokens/s (target >= ${formatPercent(PROVIDER_TARGET, 0)}).`,
      why: "Each Rein delta passes the provider's ReadableStream and then several TransformStreams inside `ai` (step tracking, telemetry, text accumulation) before `fullStream` yields it: a few promise hops per token.",
      fix: "Coalesce deltas that arrive in the same event-loop turn into one text-delta part in the provider (the SDK's own replay queue already joins late deltas).",
    });
  }
  const firstDelta = median(first("provider")) - median(first("rein"));
  if (firstDelta > 1) {
    behind.push({
      cause: "AI SDK call setup",
      gap: `streamText through the provider (${data.preset}): first text chunk ${formatNumber(firstDelta)} ms later than Rein directly (median TTFT ${formatNumber(median(first("provider")))} vs ${formatNumber(median(first("rein")))} ms).`,
      why: "Before the first part reaches the app, `streamText` standardizes the prompt, resolves the model and builds its stream pipeline; the provider then maps the prompt and starts the Rein request (the model is already loaded). This run does not split the time between the two.",
      fix: "Profile one streamText call (provider doStream vs ai's own setup) and start the Rein request before the prompt mapping's warnings are gathered.",
    });
  }
  if (!stopMet) {
    behind.push({
      cause: "abort hop",
      gap: `abortSignal -> worker stop through the provider (${data.preset}): p50 ${formatNumber(providerStop.p50)} / p99 ${formatNumber(providerStop.p99)} ms, above one decode step + ${STOP_SLACK_MS} ms (${formatNumber(targetMs)} ms).`,
      why: "The abort reaches the worker as a cancel RPC, like `run.cancel()`; on a loaded 2-core machine the app's event loop, the worker's and the decode thread compete for the cores.",
      fix: "Compare with Rein's own row: a gap between the two is the provider's; the rest is the process hop (see cancel-decode).",
    });
  }
  const lines = [
    `${data.streamSettings.maxTokens} tokens per streaming run, temperature ${data.streamSettings.temperature}, seed ${data.streamSettings.seed}; tokens/s = (tokens - 1) / (last text chunk - first) as the app's loop saw them. Abort runs stop after 8-47 text chunks (varied per round), 1,024 tokens at most.`,
    verdict(rateMet, `streamText through the provider keeps ${formatPercent(providerVsRein)} of Rein's direct tokens/s (paired median; target >= ${formatPercent(PROVIDER_TARGET, 0)}).`),
    verdict(stopMet, `abortSignal -> native stop through the provider p50 ${formatNumber(providerStop.p50)} / p99 ${formatNumber(providerStop.p99)} ms (target <= one decode step ${formatNumber(data.decodeStepMs)} ms + ${STOP_SLACK_MS} ms).`),
  ];
  return { title: `${data.preset} model`, body: blocks(streamTable, abortTable, lines.join("\n\n")), behind };
}
