import { DELTA_WINDOW_MS } from "../../packages/server/src/ops/builtin/completion-op.ts";
import type { LlamaModel } from "node-llama-cpp";
import type { BenchContext } from "../bench-context.ts";
import { cancelLatencyMs, type GenerationSettings, type GenerationTrace } from "../harness/generation-trace.ts";
import { createPlainContext, runPlainGeneration, type PlainContext } from "../harness/plain-engine.ts";
import { shortHistory } from "../harness/prompts.ts";
import { reinModelConfig, runReinGeneration, startReinClient } from "../harness/rein-engine.ts";
import type { ReinClient } from "@rein/sdk";
import { blocks, formatNumber, LATENCY_HEADERS, latencyCells, markdownTable, verdict, type BehindNote } from "../report.ts";
import { formattingNote, NOTABLE_SYNCHRONOUS_MS } from "../harness/diagnostics.ts";
import { interleave, summarize, type Summary } from "../stats.ts";

const CONTEXT_SIZE = 4096;
const SETTINGS: GenerationSettings = { maxTokens: 1024, temperature: 0.8, seed: 42 };
/** The second request starts after this many chunks of the first. */
const START_AT_CHUNK = 20;

interface BesideRound {
  /** "Stop and send a new one": the new request is started, then the running one is cancelled, in one tick. */
  replaced: GenerationTrace;
  /** A second request starts beside a stream that keeps running: how long the running stream stalls. */
  beside: GenerationTrace;
}

/**
 * The chat-UI pattern "send a new message, stop the old answer": on a
 * `parallel: 2` model, start a second completion and cancel the running one
 * in the same tick; and, separately, start a second completion beside a
 * stream that keeps going and record the running stream's longest pause.
 * Anything the worker does synchronously when a request begins shows here.
 *
 * @example
 * ```ts
 * const block = await cancelBesideNewRequest(context, { modelPath, plainModel, decodeStepMs });
 * ```
 */
export async function cancelBesideNewRequest(
  context: BenchContext,
  shared: { modelPath: string; plainModel: LlamaModel; decodeStepMs: number; slackMs: number; formattingMs: number },
): Promise<{ body: string; behind: BehindNote[] }> {
  const { threads, repetitions } = context.options;
  const rounds = Math.max(6, Math.ceil(repetitions / 3));
  await using client = await startReinClient({ threads });
  const modelId = await client.loadModel({ modelSrc: shared.modelPath, modelConfig: reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 2 }) });
  // Without prompt chunking: tells what chunked prefill adds apart from the process hop.
  const unchunkedId = await client.loadModel({
    modelSrc: shared.modelPath,
    modelConfig: reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 2, prefillChunkSize: 0 }),
  });
  const plain = await createPlainContext(shared.plainModel, { threads, contextSize: CONTEXT_SIZE, sequences: 2 });
  try {
    context.progress(`${rounds} rounds: cancel beside a new request (parallel 2)`);
    const results = await interleave<BesideRound>({
      warmupRounds: 2,
      rounds,
      variants: [
        { name: "rein", run: (round) => reinRound(client, modelId, round) },
        { name: "plain", run: (round) => plainRound(shared.plainModel, plain, round) },
        { name: "rein-unchunked", run: (round) => reinRound(client, unchunkedId, round) },
      ],
    });
    return report(results.get("rein")!, results.get("plain")!, results.get("rein-unchunked")!, shared);
  } finally {
    await plain.dispose();
  }
}

async function reinRound(client: ReinClient, modelId: string, round: number): Promise<BesideRound> {
  const trace = async (cancelFirst: boolean, offset: number) => {
    let second: Promise<GenerationTrace> | undefined;
    const first = await runReinGeneration({
      client,
      modelId,
      history: shortHistory(round * 4 + offset),
      settings: cancelFirst ? SETTINGS : { ...SETTINGS, maxTokens: START_AT_CHUNK + 200 },
      cancel: cancelFirst ? { kind: "afterChunks", chunks: START_AT_CHUNK } : { kind: "none" },
      onChunk: (chunks) => {
        if (chunks !== START_AT_CHUNK) return;
        second = runReinGeneration({ client, modelId, history: shortHistory(round * 4 + offset + 1), settings: { ...SETTINGS, maxTokens: 4 }, cancel: { kind: "none" } });
      },
    });
    await second;
    return first;
  };
  return { replaced: await trace(true, 0), beside: await trace(false, 2) };
}

async function plainRound(model: LlamaModel, plain: PlainContext, round: number): Promise<BesideRound> {
  const trace = async (cancelFirst: boolean, offset: number) => {
    let second: Promise<GenerationTrace> | undefined;
    const first = await runPlainGeneration({
      model,
      completion: plain.completions[0]!,
      history: shortHistory(round * 4 + offset),
      settings: cancelFirst ? SETTINGS : { ...SETTINGS, maxTokens: START_AT_CHUNK + 200 },
      cancel: cancelFirst ? { kind: "afterChunks", chunks: START_AT_CHUNK } : { kind: "none" },
      onChunk: (chunks) => {
        if (chunks !== START_AT_CHUNK) return;
        second = runPlainGeneration({ model, completion: plain.completions[1]!, history: shortHistory(round * 4 + offset + 1), settings: { ...SETTINGS, maxTokens: 4 }, cancel: { kind: "none" } });
      },
    });
    await second;
    return first;
  };
  return { replaced: await trace(true, 0), beside: await trace(false, 2) };
}

function report(
  rein: BesideRound[],
  plain: BesideRound[],
  unchunked: BesideRound[],
  shared: { decodeStepMs: number; slackMs: number; formattingMs: number },
): { body: string; behind: BehindNote[] } {
  const { decodeStepMs, slackMs, formattingMs } = shared;
  const cancel = (rounds: BesideRound[]) => summarize(rounds.map((round) => cancelLatencyMs(round.replaced) ?? Number.NaN));
  const stall = (rounds: BesideRound[]) => summarize(rounds.map((round) => round.beside.maxChunkGapMs));
  const [reinCancel, plainCancel, unchunkedCancel] = [rein, plain, unchunked].map(cancel) as [Summary, Summary, Summary];
  const [reinStall, plainStall, unchunkedStall] = [rein, plain, unchunked].map(stall) as [Summary, Summary, Summary];
  const table = markdownTable(
    ["parallel 2, second request started mid-stream (ms)", "n", ...LATENCY_HEADERS],
    [
      ["Rein: start new + `cancel()` old in one tick -> old `completionDone`", String(reinCancel.count), ...latencyCells(reinCancel)],
      ["Rein, prefill_chunk_size 0: same", String(unchunkedCancel.count), ...latencyCells(unchunkedCancel)],
      ["plain: start new + `abort()` old -> old settled", String(plainCancel.count), ...latencyCells(plainCancel)],
      ["Rein: longest pause of a running stream while the new request starts", String(reinStall.count), ...latencyCells(reinStall)],
      ["Rein, prefill_chunk_size 0: same", String(unchunkedStall.count), ...latencyCells(unchunkedStall)],
      ["plain: longest pause of a running stream while the new request starts", String(plainStall.count), ...latencyCells(plainStall)],
    ],
  );
  const target = decodeStepMs + slackMs;
  const cancelMet = reinCancel.p99 <= target;
  // Rein merges deltas that arrive within DELTA_WINDOW_MS into one frame, so a gap up to that window is by design.
  const stallMet = reinStall.p50 <= plainStall.p50 + slackMs + DELTA_WINDOW_MS;
  const behind: BehindNote[] = [];
  const gap = `Second request started mid-stream (parallel 2): cancelling the old one takes p50 ${formatNumber(reinCancel.p50)} / p99 ${formatNumber(reinCancel.p99)} ms (target ${formatNumber(target)} ms; plain ${formatNumber(plainCancel.p50)} ms); the running stream pauses ${formatNumber(reinStall.p50)} ms (without chunking ${formatNumber(unchunkedStall.p50)} ms, plain ${formatNumber(plainStall.p50)} ms).`;
  if (!stallMet) behind.push(stallNote(gap, { reinStall, unchunkedStall, plainStall, formattingMs, slackMs }));
  // The old stream's abort lands after the batch in flight, which also carries the new prompt: an extra prefill pass delays it.
  else if (!cancelMet && reinCancel.p50 - unchunkedCancel.p50 > 1) behind.push({ ...EXTRA_PREFILL_PASS, gap });
  else if (!cancelMet) behind.push({ ...PROCESS_HOP, gap });
  return {
    body: blocks(
      table,
      [
        verdict(cancelMet, `cancel beside a new request: Rein p99 ${formatNumber(reinCancel.p99)} ms ${cancelMet ? "<=" : ">"} ${formatNumber(target)} ms target.`),
        verdict(
          stallMet,
          `stream pause when another request starts: Rein median ${formatNumber(reinStall.p50)} ms vs plain ${formatNumber(plainStall.p50)} ms (+${slackMs} ms allowed, plus Rein's ${DELTA_WINDOW_MS} ms delta-coalescing window: deltas closer than that travel together by design).`,
        ),
      ].join("\n\n"),
    ),
    behind,
  };
}

/** The usual cost of a cancel crossing the process boundary; shared with the cancel-during-decode note. */
export const PROCESS_HOP: Omit<BehindNote, "gap"> = {
  cause: "process hop on cancel",
  why: "A cancel through Rein needs the worker: the cancel command crosses the pipe, the worker aborts the request and acknowledges it (the `cancel()` RPC reply row), and the client's stream ends on that acknowledgment (in SDK versions without it, on the completion's own reply, after the token in flight). Plain `abort()` is a function call inside `onTextChunk`. On this 2-core machine the decode thread, the worker's event loop and the app share the CPU, so the round trip's tail follows the machine's load.",
  fix: "The floor is one round trip between two processes: the floor rows of the cancel table measure it with no Rein code at all (a bare echo process over a pipe, in the same run), and what lies above it is the code at both ends, running cold (a cancel runs once per stop) on a machine whose decode thread holds a core. Settling at `cancel()` time without the acknowledgment would beat it but could report a run as cancelled that had already completed. What shortens the tail: nothing synchronous on the worker's event loop per token or per request, and a core left free for it (threads <= cores - 1).",
};

/** Why a running stream paused longer through Rein, from what this run measured. */
function stallNote(gap: string, data: { reinStall: Summary; unchunkedStall: Summary; plainStall: Summary; formattingMs: number; slackMs: number }): BehindNote {
  if (data.formattingMs >= NOTABLE_SYNCHRONOUS_MS) return formattingNote(gap, data.formattingMs);
  if (data.reinStall.p50 - data.unchunkedStall.p50 > data.slackMs) {
    return { ...EXTRA_PREFILL_PASS, gap };
  }
  return {
    cause: "synchronous work at begin",
    gap,
    why: "Something in the worker's begin path of a completion blocks its event loop (prompt formatting is cheap here and chunking is not the cause).",
    fix: "Profile the worker (`node --cpu-prof`) while a second request starts and make the blocking step asynchronous or cheap.",
  };
}

/** Chunked prefill's extra native pass for prompts shorter than a chunk; shared with the streaming section. */
export const EXTRA_PREFILL_PASS: Omit<BehindNote, "gap"> = {
  cause: "extra prefill pass",
  why: "Chunked prefill evaluates every prompt token but the last with `evaluateWithoutGeneratingNewTokens`, then `generateCompletion` evaluates the last one: even a prompt shorter than one chunk costs two native evaluation passes instead of one, which delays the first token and, on a shared context, the other sequences' tokens. `prefill_chunk_size: 0` removes the difference (measured beside).",
  fix: "In `evaluatePromptInChunks`, evaluate chunks only while more than one chunk of the prompt remains and leave the final <= chunkSize tokens (last token included) to `generateCompletion`: a prompt shorter than a chunk is then evaluated in one pass, and the cancel bound (one chunk) is unchanged.",
};
