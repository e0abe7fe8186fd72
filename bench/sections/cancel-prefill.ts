import { testModelPath } from "@rein/test-model";
import type { ReinClient } from "@rein/sdk";
import type { BenchContext } from "../bench-context.ts";
import { cancelLatencyMs, cancelledDuringPrefill, cancelToStopMs, present, type GenerationSettings, type GenerationTrace } from "../harness/generation-trace.ts";
import { chatPromptCostMs, NOTABLE_SYNCHRONOUS_MS } from "../harness/diagnostics.ts";
import { createPlainContext, loadPlainModel, runPlainGeneration, type PlainContext } from "../harness/plain-engine.ts";
import { fillerLengthForTokens, longHistory } from "../harness/prompts.ts";
import { reinModelConfig, runReinGeneration, startReinClient } from "../harness/rein-engine.ts";
import { plainPromptTokens } from "../harness/plain-prompt.ts";
import { blocks, formatNumber, formatPercent, LATENCY_HEADERS, latencyCells, markdownTable, verdict, type BehindNote, type SectionReport } from "../report.ts";
import { interleave, median, pairedRatio, summarize } from "../stats.ts";

const CONTEXT_SIZE = 4096;
const PROMPT_TOKENS = 2000;
/** Far enough into a ~1.6 s prefill that several chunks ran, far from its end. */
const CANCEL_AFTER_MS = 300;
const SLACK_MS = 2;
const SETTINGS: GenerationSettings = { maxTokens: 64, temperature: 0.8, seed: 42 };
const FULL_CHUNK_SIZES = [64, 128, 256, 512, 0];
/** Quick mode checks the default (256) against unchunked. */
const QUICK_CHUNK_SIZES = [256, 0];

/** One round's pair of runs on one path: the full prefill (uncancelled, maxTokens 1) and a cancel 300 ms in. */
interface PrefillRound {
  fullPrefillMs: number;
  cancelled: GenerationTrace;
}

/**
 * Section 2: cancel while a ~2,000-token prompt is being evaluated (medium
 * model). Plain node-llama-cpp only sees the abort after the whole prefill;
 * Rein checks between prompt chunks. Each chunk size is its own model load
 * (the chunk size is part of the model config and id). "0" is Rein without
 * chunking. The prefill cost of chunking is the full-prefill time (call ->
 * first token done, maxTokens 1) against Rein unchunked, paired per round.
 *
 * @example
 * ```ts
 * const section = await cancelPrefillSection(context);
 * ```
 */
export async function cancelPrefillSection(context: BenchContext): Promise<SectionReport> {
  const { threads, quick, repetitions } = context.options;
  const chunkSizes = quick ? QUICK_CHUNK_SIZES : FULL_CHUNK_SIZES;
  const rounds = Math.max(3, Math.ceil(repetitions / 5));
  const modelPath = await testModelPath({ preset: "medium" });
  await using client = await startReinClient({ threads });
  const modelIds = new Map<number, string>();
  for (const chunkSize of chunkSizes) {
    const modelConfig = reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 1, prefillChunkSize: chunkSize });
    modelIds.set(chunkSize, await client.loadModel({ modelSrc: modelPath, modelConfig }));
  }
  const plainModel = await loadPlainModel(modelPath);
  const plain = await createPlainContext(plainModel, { threads, contextSize: CONTEXT_SIZE, sequences: 1 });
  try {
    const fillerCharacters = fillerLengthForTokens(plainModel, PROMPT_TOKENS);
    const promptTokens = plainPromptTokens(plainModel, longHistory(0, fillerCharacters)).tokens.length;
    context.progress(`${rounds} rounds x ${chunkSizes.length + 1} paths, ${promptTokens}-token prompt`);
    // Two prompts per round (full run, cancelled run): no run can reuse another's KV cache.
    const history = (round: number, second: boolean) => longHistory(round * 2 + (second ? 1 : 0), fillerCharacters);
    const variants = [
      { name: "plain", run: (round: number) => plainRound(plainModel, plain, (second) => history(round, second)) },
      ...chunkSizes.map((chunkSize) => ({
        name: `rein-${chunkSize}`,
        run: (round: number) => reinRound(client, modelIds.get(chunkSize)!, (second) => history(round, second)),
      })),
    ];
    const results = await interleave<PrefillRound>({
      variants,
      warmupRounds: 1,
      rounds,
      onResult: (variant, round) => context.progress(`round ${round + 1}/${rounds}: ${variant}`),
    });
    return report({ results, chunkSizes, promptTokens, formattingMs: chatPromptCostMs(plainModel) });
  } finally {
    await plain.dispose();
    await plainModel.dispose();
  }
}

async function plainRound(model: Parameters<typeof runPlainGeneration>[0]["model"], plain: PlainContext, history: (second: boolean) => ReturnType<typeof longHistory>): Promise<PrefillRound> {
  const completion = plain.completions[0]!;
  const full = await runPlainGeneration({ model, completion, history: history(false), settings: { ...SETTINGS, maxTokens: 1 }, cancel: { kind: "none" } });
  const cancelled = await runPlainGeneration({ model, completion, history: history(true), settings: SETTINGS, cancel: { kind: "afterMs", ms: CANCEL_AFTER_MS } });
  return { fullPrefillMs: full.settledAt - full.calledAt, cancelled };
}

async function reinRound(client: ReinClient, modelId: string, history: (second: boolean) => ReturnType<typeof longHistory>): Promise<PrefillRound> {
  const full = await runReinGeneration({ client, modelId, history: history(false), settings: { ...SETTINGS, maxTokens: 1 }, cancel: { kind: "none" } });
  const cancelled = await runReinGeneration({ client, modelId, history: history(true), settings: SETTINGS, cancel: { kind: "afterMs", ms: CANCEL_AFTER_MS } });
  return { fullPrefillMs: full.settledAt - full.calledAt, cancelled };
}

function report(data: { results: Map<string, PrefillRound[]>; chunkSizes: number[]; promptTokens: number; formattingMs: number }): SectionReport {
  const { results, chunkSizes, promptTokens, formattingMs } = data;
  const plain = results.get("plain")!;
  const unchunked = results.get("rein-0");
  const msPerToken = median(plain.map((round) => round.fullPrefillMs)) / promptTokens;
  const behind: BehindNote[] = [];
  const rows: string[][] = [];
  const costRows: string[][] = [];
  const verdicts: string[] = [];

  // Two clocks: the client's completionDone (Rein may answer as soon as the worker acknowledges the cancel)
  // and the native stop (Rein: the worker's lifecycle `end`, the model slot free again). The target's bound is about the stop.
  const addRow = (label: string, rounds: PrefillRound[], chunkSize: number | null) => {
    const done = summarize(present(rounds.map((round) => cancelLatencyMs(round.cancelled))));
    const latency = summarize(present(rounds.map((round) => cancelToStopMs(round.cancelled))));
    const duringPrefill = rounds.filter((round) => cancelledDuringPrefill(round.cancelled)).length;
    const chunkMs = chunkSize === null || chunkSize === 0 ? null : chunkSize * msPerToken;
    rows.push([
      label,
      String(latency.count),
      `${formatNumber(done.p50, 1)} / ${formatNumber(done.p99, 1)}`,
      ...latencyCells(latency, 1),
      chunkMs === null ? "–" : formatNumber(chunkMs, 1),
      `${duringPrefill}/${rounds.length}`,
    ]);
    return { latency, chunkMs };
  };

  addRow("plain node-llama-cpp (`abort()`)", plain, null);
  for (const chunkSize of chunkSizes) {
    const rounds = results.get(`rein-${chunkSize}`)!;
    const label = chunkSize === 0 ? "Rein, unchunked (prefill_chunk_size 0)" : `Rein, chunk ${chunkSize}`;
    const { latency, chunkMs } = addRow(label, rounds, chunkSize);
    const fullMs = median(rounds.map((round) => round.fullPrefillMs));
    const versusUnchunked = unchunked === undefined ? Number.NaN : pairedRatio(rounds.map((round) => round.fullPrefillMs), unchunked.map((round) => round.fullPrefillMs));
    const versusPlain = pairedRatio(rounds.map((round) => round.fullPrefillMs), plain.map((round) => round.fullPrefillMs));
    if (chunkSize === 0 && versusPlain - 1 > 0.03) {
      const formattingNotable = formattingMs >= NOTABLE_SYNCHRONOUS_MS;
      behind.push({
        cause: formattingNotable ? "per-request prompt formatting" : "fixed cost per request",
        gap: `Full prefill through Rein without chunking is ${formatPercent(versusPlain - 1)} slower than plain node-llama-cpp (${formatNumber(fullMs, 0)} ms median).`,
        why: formattingNotable
          ? `The same native work plus Rein's per-request prompt formatting in the worker (\`chatPromptTokens\` took ${formatNumber(formattingMs)} ms per call here).`
          : "The same native work plus Rein's fixed per-request cost (RPC hops, validation, registry).",
        fix: formattingNotable
          ? "Make per-request formatting cheap (resolve the chat wrapper once per model, tokenize only what changed)."
          : "Little to gain: one RPC hop is well under 1% of a 2,000-token prefill.",
      });
    }
    costRows.push([label, formatNumber(fullMs, 0), formatNumber((promptTokens * 1000) / fullMs, 0), formatPercent(versusUnchunked - 1), formatPercent(versusPlain - 1)]);
    if (chunkMs !== null) {
      const bound = chunkMs + SLACK_MS;
      const met = latency.p99 <= bound;
      verdicts.push(verdict(met, `chunk ${chunkSize}: native stop p99 ${formatNumber(latency.p99, 1)} ms ${met ? "<=" : ">"} one chunk (${formatNumber(chunkMs, 1)} ms) + ${SLACK_MS} ms.`));
      if (!met) {
        behind.push({
          cause: "chunk duration varies",
          gap: `Prefill cancel, chunk ${chunkSize}: the worker stopped after p99 ${formatNumber(latency.p99, 1)} ms, more than one chunk (${formatNumber(chunkMs, 1)} ms) + ${SLACK_MS} ms.`,
          why: "A chunk's real duration varies: attention grows with the position in the prompt, and a busy machine stretches any single evaluate call; the bound uses the average chunk time.",
          fix: "Size chunks by time instead of tokens (measure the first chunk, aim at a fixed budget such as 50 ms), so the cancel bound holds in milliseconds whatever the model and position.",
        });
      }
      if (versusUnchunked - 1 > 0.03) {
        behind.push({
          cause: "cost of chunking",
          gap: `Chunk ${chunkSize} makes the full prefill ${formatPercent(versusUnchunked - 1)} slower than unchunked evaluation.`,
          why: "Each chunk is its own `evaluateWithoutGeneratingNewTokens` call: smaller native batches use the CPU less well, and every chunk costs a JS round trip and a batch dispatch in node-llama-cpp.",
          fix: "Keep the default at 256 or above on CPU (see the table for the trade-off), or size chunks by time so short prompts never pay for chunking.",
        });
      }
    } else {
      verdicts.push(`ℹ️ prefill_chunk_size 0 (opt-out): the worker evaluates the whole prompt before it stops, like plain node-llama-cpp (p50 ${formatNumber(latency.p50, 0)} ms), and the model stays busy that long.`);
    }
  }

  const latencyTable = markdownTable(
    ["path (cancel 300 ms into the prefill)", "n", "-> completionDone p50 / p99 (ms)", "-> native stop p50 (ms)", "p95", "p99", "max", "one chunk (ms)", "cancel landed in prefill"],
    rows,
  );
  const costTable = markdownTable(["path", "full prefill (ms, median)", "prompt tokens/s", "vs Rein unchunked (paired median)", "vs plain (paired median)"], costRows);
  const intro = `Medium model, ${promptTokens}-token prompt, cancel ${CANCEL_AFTER_MS} ms after the call. "completionDone" is what the app's loop sees; "native stop" is when the prompt evaluation really stopped (Rein: the worker's lifecycle \`end\` line reached the client, so the model is free again; plain: the promise settled). Plain prefill: ${formatNumber(msPerToken * 1000, 0)} µs/token; "one chunk" = chunk size x that. Target: the stop is bounded by one prompt chunk, not by the whole prompt.`;
  return {
    title: "2. Cancel during prompt evaluation (prefill)",
    body: blocks(intro, latencyTable, verdicts.join("\n\n"), "Prefill throughput cost of chunking (full prefill = call -> first token done, maxTokens 1):", costTable),
    behind,
  };
}
