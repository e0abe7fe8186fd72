/** Sampling settings both paths get, so they evaluate and sample identically. */
export interface GenerationSettings {
  maxTokens: number;
  temperature: number;
  seed: number;
}

/** When a measured run is cancelled, if at all. */
export type CancelPlan =
  | { kind: "none" }
  /** Right after the consumer received this many text chunks (decode phase). */
  | { kind: "afterChunks"; chunks: number }
  /** This long after the call, wherever the generation is then (prefill phase for long prompts). */
  | { kind: "afterMs"; ms: number };

/**
 * Timestamps (performance.now(), ms) of one generation as its consumer saw
 * it: the Rein client's `for await` loop, or plain node-llama-cpp's
 * `onTextChunk` in this process.
 */
export interface GenerationTrace {
  calledAt: number;
  firstChunkAt: number | null;
  lastChunkAt: number | null;
  /** Rein: `completionDone` arrived; plain: the generateCompletion promise settled. */
  settledAt: number;
  /** Taken immediately before `cancel()` / `abort()`. */
  cancelAt: number | null;
  /** Rein only: when `run.cancel()` returned; bare-rpc writes the cancel frame to the pipe within that call. */
  cancelSentAt: number | null;
  /** Rein only: the run's requestId, to ask the worker for its side of the cancel (`bench.hotPath`). */
  requestId: string | null;
  /** Rein only: when the `cancel()` RPC promise resolved. */
  cancelRepliedAt: number | null;
  /** Rein only: when the worker's lifecycle `end` line for the request reached the client (native work stopped, slot free). */
  workerEndedAt: number | null;
  chunks: number;
  chunksAfterCancel: number;
  /** Longest pause between two consecutive text chunks: a stalled stream shows here. */
  maxChunkGapMs: number;
  /** Tokens generated (plain: every onToken; Rein: the worker's stats, which exclude post-abort tokens). */
  tokens: number;
  stopReason: string;
  text: string;
  /** Rein only: time to first token measured inside the worker (its completion stats). */
  workerTimeToFirstTokenMs: number | null;
}

/**
 * Cancel -> settled, in ms; null for a run that was not cancelled.
 *
 * @example
 * ```ts
 * summarize(present(traces.map(cancelLatencyMs)));
 * ```
 */
export function cancelLatencyMs(trace: GenerationTrace): number | null {
  return trace.cancelAt === null ? null : trace.settledAt - trace.cancelAt;
}

/**
 * Cancel -> the request really finished: Rein's lifecycle `end` line at the
 * client; plain: the promise settled (native work stopped there too).
 *
 * @example
 * ```ts
 * const stopMs = cancelToStopMs(trace); // >= cancelLatencyMs(trace) for Rein
 * ```
 */
export function cancelToStopMs(trace: GenerationTrace): number | null {
  if (trace.cancelAt === null) return null;
  return (trace.workerEndedAt ?? trace.settledAt) - trace.cancelAt;
}

/**
 * Call -> first text chunk at the consumer, in ms.
 *
 * @example
 * ```ts
 * const ttft = timeToFirstChunkMs(trace); // null when no text arrived
 * ```
 */
export function timeToFirstChunkMs(trace: GenerationTrace): number | null {
  return trace.firstChunkAt === null ? null : trace.firstChunkAt - trace.calledAt;
}

/**
 * Steady decode rate seen by the consumer: tokens after the first over the first-to-last-chunk window.
 *
 * @example
 * ```ts
 * const rate = decodeTokensPerSecond(trace) ?? Number.NaN;
 * ```
 */
export function decodeTokensPerSecond(trace: GenerationTrace): number | null {
  if (trace.firstChunkAt === null || trace.lastChunkAt === null || trace.tokens < 2) return null;
  const windowMs = trace.lastChunkAt - trace.firstChunkAt;
  return windowMs > 0 ? ((trace.tokens - 1) * 1000) / windowMs : null;
}

/**
 * Whether the cancel landed before the first token: a prefill cancel.
 *
 * @example
 * ```ts
 * const inPrefill = traces.filter(cancelledDuringPrefill).length;
 * ```
 */
export function cancelledDuringPrefill(trace: GenerationTrace): boolean {
  return trace.cancelAt !== null && (trace.firstChunkAt === null || trace.firstChunkAt > trace.cancelAt);
}

/**
 * A fresh trace with nothing observed yet.
 *
 * @example
 * ```ts
 * const trace = newTrace(performance.now());
 * ```
 */
export function newTrace(calledAt: number): GenerationTrace {
  return {
    calledAt,
    firstChunkAt: null,
    lastChunkAt: null,
    settledAt: Number.NaN,
    cancelAt: null,
    cancelSentAt: null,
    requestId: null,
    cancelRepliedAt: null,
    workerEndedAt: null,
    chunks: 0,
    chunksAfterCancel: 0,
    maxChunkGapMs: 0,
    tokens: 0,
    stopReason: "unknown",
    text: "",
    workerTimeToFirstTokenMs: null,
  };
}

/**
 * Values that are numbers, dropping nulls: for summaries of optional measurements.
 *
 * @example
 * ```ts
 * present([1, null, 3]); // [1, 3]
 * ```
 */
export function present(values: readonly (number | null)[]): number[] {
  return values.filter((value): value is number => value !== null && Number.isFinite(value));
}
