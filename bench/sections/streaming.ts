import { testModelPath } from "@rein/test-model";
import type { BenchContext } from "../bench-context.ts";
import type { ModelPreset } from "../bench-options.ts";
import { decodeTokensPerSecond, present, timeToFirstChunkMs, type GenerationSettings, type GenerationTrace } from "../harness/generation-trace.ts";
import { chatPromptCostMs, formattingNote, NOTABLE_SYNCHRONOUS_MS } from "../harness/diagnostics.ts";
import { EXTRA_PREFILL_PASS } from "./cancel-beside-new-request.ts";
import { HOT_PATH_OP } from "../harness/cancel-breakdown.ts";
import { firstTokenBreakdown, workerFirstTokenStages, type FirstTokenRound } from "../harness/first-token-breakdown.ts";
import { createPlainContext, loadPlainModel, runPlainGeneration } from "../harness/plain-engine.ts";
import { shortHistory } from "../harness/prompts.ts";
import { reinModelConfig, runReinGeneration, startReinClient } from "../harness/rein-engine.ts";
import { blocks, formatNumber, formatPercent, latencyCells, markdownTable, verdict, type BehindNote, type SectionReport } from "../report.ts";
import { interleave, median, pairedRatio, summarize } from "../stats.ts";

const CONTEXT_SIZE = 2048;
/** Target (README, Benchmarks; issue 17's bar): streaming through the SDK keeps at least this share of in-process tokens/s. */
const THROUGHPUT_TARGET = 0.99;
/** Target (issue 17's bar): time to first token through the SDK at most this much later than in-process (paired median). */
const FIRST_TOKEN_SLACK_MS = 1;

/** What one round measured on one path: parallel 1 (one trace) or parallel 2 (two traces run at once). */
interface StreamRound {
  traces: GenerationTrace[];
  /** Rein only: the worker's stage times of each trace on its way to the first text (see first-token-breakdown.ts). */
  stages?: FirstTokenRound[];
}

/** A Rein round with its worker-side stages, read after the traces ended (outside every measured window). */
async function withStages(client: Parameters<typeof workerFirstTokenStages>[0], traces: GenerationTrace[]): Promise<StreamRound> {
  // A worker without the timeline (an older build in an A/B run) still gives the round, without a breakdown.
  const stages = await workerFirstTokenStages(client, traces).catch(() => undefined);
  return { traces, stages };
}

/**
 * Section 3: streaming tokens/s and time to first token through Rein
 * (client -> RPC -> worker) against in-process node-llama-cpp, same prompt
 * tokens, seed and sampling settings; then two sequences at once on a
 * context with `parallel: 2` (aggregate tokens/s).
 *
 * @example
 * ```ts
 * const section = await streamingSection(context);
 * ```
 */
export async function streamingSection(context: BenchContext): Promise<SectionReport> {
  const parts: SectionReport[] = [];
  for (const preset of context.options.presets) parts.push(await streamingForPreset(context, preset));
  return {
    title: "3. Streaming throughput and first token",
    body: blocks(...parts.map((part) => `### ${part.title}\n\n${part.body}`)),
    behind: parts.flatMap((part) => part.behind),
  };
}

async function streamingForPreset(context: BenchContext, preset: ModelPreset): Promise<SectionReport> {
  const { threads, repetitions } = context.options;
  const settings: GenerationSettings = { maxTokens: preset === "tiny" ? 512 : 256, temperature: 0.8, seed: 42 };
  const rounds = Math.max(4, Math.ceil(repetitions / 2));
  const modelPath = await testModelPath({ preset });
  await using client = await startReinClient({ threads, opModules: [HOT_PATH_OP] });
  const single = await client.loadModel({ modelSrc: modelPath, modelConfig: reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 1 }) });
  // The same model without prompt chunking: tells the cost of chunked prefill apart from the process hop.
  const unchunked = await client.loadModel({ modelSrc: modelPath, modelConfig: reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 1, prefillChunkSize: 0 }) });
  const pair = await client.loadModel({ modelSrc: modelPath, modelConfig: reinModelConfig({ threads, contextSize: CONTEXT_SIZE * 2, parallel: 2 }) });
  const plainModel = await loadPlainModel(modelPath);
  const plainSingle = await createPlainContext(plainModel, { threads, contextSize: CONTEXT_SIZE, sequences: 1 });
  const plainPair = await createPlainContext(plainModel, { threads, contextSize: CONTEXT_SIZE * 2, sequences: 2 });
  try {
    const none = { kind: "none" } as const;
    context.progress(`${preset}: ${rounds} interleaved rounds, parallel 1`);
    const one = await interleave<StreamRound>({
      warmupRounds: 2,
      rounds,
      variants: [
        { name: "rein", run: async (round) => withStages(client, [await runReinGeneration({ client, modelId: single, history: shortHistory(round), settings, cancel: none })]) },
        {
          name: "plain",
          run: async (round) => ({
            traces: [await runPlainGeneration({ model: plainModel, completion: plainSingle.completions[0]!, history: shortHistory(round), settings, cancel: none })],
          }),
        },
        {
          name: "rein-unchunked",
          run: async (round) => ({ traces: [await runReinGeneration({ client, modelId: unchunked, history: shortHistory(round), settings, cancel: none })] }),
        },
      ],
    });
    context.progress(`${preset}: ${rounds} interleaved rounds, parallel 2`);
    const two = await interleave<StreamRound>({
      warmupRounds: 1,
      rounds,
      variants: [
        {
          name: "rein",
          run: async (round) =>
            withStages(client, await Promise.all([0, 1].map((lane) => runReinGeneration({ client, modelId: pair, history: shortHistory(round * 2 + lane), settings, cancel: none })))),
        },
        {
          name: "plain",
          run: async (round) => ({
            traces: await Promise.all(
              [0, 1].map((lane) =>
                runPlainGeneration({ model: plainModel, completion: plainPair.completions[lane]!, history: shortHistory(round * 2 + lane), settings, cancel: none }),
              ),
            ),
          }),
        },
      ],
    });
    return report({ one, two, preset, settings, formattingMs: chatPromptCostMs(plainModel) });
  } finally {
    await plainSingle.dispose();
    await plainPair.dispose();
    await plainModel.dispose();
  }
}

/** Median of per-round differences `left[i] - right[i]`. */
function pairedDifference(left: readonly number[], right: readonly number[]): number {
  return median(left.map((value, index) => value - (right[index] ?? Number.NaN)).filter(Number.isFinite));
}

/** Why the first token comes later through Rein, from what this run measured. */
function firstTokenNote(data: { label: string; preset: string; firstDelta: number; formattingMs: number; chunkingCost: number | null; measuredHere: boolean }): BehindNote {
  const gap = `Streaming ${data.label} (${data.preset}): time to first token is ${formatNumber(data.firstDelta)} ms longer through Rein (paired median).`;
  if (data.formattingMs >= NOTABLE_SYNCHRONOUS_MS) return formattingNote(gap, data.formattingMs);
  if (data.chunkingCost !== null && data.chunkingCost > 0.5) {
    const share = data.measuredHere
      ? `${formatNumber(data.chunkingCost)} ms of it goes away with \`prefill_chunk_size: 0\``
      : `with parallel 1, ${formatNumber(data.chunkingCost)} ms of it went away with \`prefill_chunk_size: 0\``;
    return { ...EXTRA_PREFILL_PASS, gap: `${gap.slice(0, -1)}; ${share}.` };
  }
  return { cause: "first-token hop", gap, why: "The call's RPC hop to the worker and the first frame's way back.", fix: "Little left to gain: one hop each way." };
}

/** Aggregate decode rate of the runs of one round: all tokens after each run's first, over the union of their windows. */
function aggregateTokensPerSecond(round: StreamRound): number {
  if (round.traces.length === 1) return decodeTokensPerSecond(round.traces[0]!) ?? Number.NaN;
  const firsts = present(round.traces.map((trace) => trace.firstChunkAt));
  const lasts = present(round.traces.map((trace) => trace.lastChunkAt));
  const tokens = round.traces.reduce((sum, trace) => sum + Math.max(0, trace.tokens - 1), 0);
  const windowMs = Math.max(...lasts) - Math.min(...firsts);
  return windowMs > 0 ? (tokens * 1000) / windowMs : Number.NaN;
}

function report(data: {
  one: Map<string, StreamRound[]>;
  two: Map<string, StreamRound[]>;
  preset: string;
  settings: GenerationSettings;
  formattingMs: number;
}): SectionReport {
  const behind: BehindNote[] = [];
  const rows: string[][] = [];
  const verdicts: string[] = [];
  const breakdowns: string[] = [];
  const firstChunks = (rounds: StreamRound[]) => rounds.map((round) => median(present(round.traces.map(timeToFirstChunkMs))));
  // Measured with parallel 1 only; parallel 2 runs the same chunked prefill per request, so the parallel 1 figure stands in for it.
  let chunkingCost: number | null = null;
  for (const [label, results] of [["parallel 1", data.one], ["parallel 2 (aggregate)", data.two]] as const) {
    const rein = results.get("rein")!;
    const plain = results.get("plain")!;
    const reinRate = rein.map(aggregateTokensPerSecond);
    const plainRate = plain.map(aggregateTokensPerSecond);
    const reinFirst = firstChunks(rein);
    const plainFirst = firstChunks(plain);
    const rateRatio = pairedRatio(reinRate, plainRate);
    const firstDelta = pairedDifference(reinFirst, plainFirst);
    const stages = rein.flatMap((round) => round.stages ?? []);
    if (stages.length > 0) {
      const plainEach = present(plain.flatMap((round) => round.traces.map(timeToFirstChunkMs)));
      breakdowns.push(`**Time to first token stage by stage, ${label}** (Rein, µs; where the paired gap above goes):\n\n${firstTokenBreakdown(stages, plainEach)}`);
    }
    const identical = rein.filter((round, index) => round.traces.every((trace, lane) => trace.text === plain[index]?.traces[lane]?.text)).length;
    rows.push([`${label}: Rein`, formatNumber(median(reinRate), 0), ...latencyCells(summarize(reinFirst)), formatPercent(rateRatio), `${identical}/${rein.length}`]);
    const unchunked = results.get("rein-unchunked");
    if (unchunked !== undefined) {
      const unchunkedRate = unchunked.map(aggregateTokensPerSecond);
      rows.push([
        `${label}: Rein, prefill_chunk_size 0`,
        formatNumber(median(unchunkedRate), 0),
        ...latencyCells(summarize(firstChunks(unchunked))),
        formatPercent(pairedRatio(unchunkedRate, plainRate)),
        "",
      ]);
    }
    rows.push([`${label}: plain node-llama-cpp`, formatNumber(median(plainRate), 0), ...latencyCells(summarize(plainFirst)), "100%", ""]);
    const met = rateRatio >= THROUGHPUT_TARGET;
    verdicts.push(verdict(met, `${label}: Rein keeps ${formatPercent(rateRatio)} of in-process tokens/s (target >= ${formatPercent(THROUGHPUT_TARGET, 0)}, n = ${rein.length} rounds).`));
    verdicts.push(verdict(firstDelta <= FIRST_TOKEN_SLACK_MS, `${label}: time to first token ${firstDelta >= 0 ? "+" : ""}${formatNumber(firstDelta)} ms (paired median; target <= +${FIRST_TOKEN_SLACK_MS} ms).`));
    if (!met) {
      const perTokenMicroseconds = (1 / median(reinRate) - 1 / median(plainRate)) * 1_000_000;
      behind.push({
        cause: "one frame per token",
        gap: `Streaming ${label} (${data.preset}): Rein keeps ${formatPercent(rateRatio)} of in-process tokens/s (${formatNumber(median(reinRate), 0)} vs ${formatNumber(median(plainRate), 0)}: ~${formatNumber(perTokenMicroseconds, 0)} µs more per token), below ${formatPercent(THROUGHPUT_TARGET, 0)}.`,
        why: `Every token is its own RPC event: the worker JSON-encodes a frame and writes it to the pipe, the client decodes it, queues it and resumes the \`for await\` loop. The faster the model, the larger that fixed cost's share; on a 2-core machine the decode thread, the worker's event loop and the app's event loop also compete for the cores.`,
        fix: "Coalesce text deltas in the worker: buffer `contentDelta` text and flush once per event-loop turn (setImmediate) or every few ms, so a burst of tokens costs one frame, one write and one wake-up instead of one per token; the client still sees every character in order.",
      });
    }
    if (unchunked !== undefined) chunkingCost = pairedDifference(reinFirst, firstChunks(unchunked));
    const measuredHere = unchunked !== undefined;
    if (firstDelta > 1) behind.push(firstTokenNote({ label, preset: data.preset, firstDelta, formattingMs: data.formattingMs, chunkingCost, measuredHere }));
  }
  const table = markdownTable(
    ["path", "tokens/s (median)", "TTFT p50 (ms)", "TTFT p95", "TTFT p99", "TTFT max", "tokens/s vs plain (paired median)", "same text as plain"],
    rows,
  );
  const intro = `${data.settings.maxTokens} tokens per run, temperature ${data.settings.temperature}, seed ${data.settings.seed}; the same prompt tokens on both paths. tokens/s = (tokens - 1) / (last chunk - first chunk) as the consumer saw them; TTFT = call -> first text chunk at the consumer.`;
  return { title: `${data.preset} model`, body: blocks(intro, table, verdicts.join("\n\n"), ...breakdowns), behind };
}
