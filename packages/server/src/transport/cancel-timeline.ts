/** When each stage of one cancel-by-id happened in the worker: `performance.now()` of the worker process, ms. */
export interface CancelStages {
  /** The cancel frame reached the dispatcher (bare-rpc parsed it). */
  receivedAt: number;
  /** `registry.cancel` returned: the signal aborted and every abort listener ran (text flushed, native stop requested). */
  abortedAt?: number;
  /** The cancel's acknowledgement was handed to the channel (it leaves in this run's one write, see FramedChannel). */
  acknowledgedAt?: number;
  /** The engine returned after the abort: native decode (or the prefill chunk) in flight when it came has finished. */
  nativeStoppedAt?: number;
  /** The request's own final reply (stop reason, stats) was handed to the channel. */
  finalRepliedAt?: number;
}

/** How many recent cancels are kept: enough for a bench round, small enough to cost nothing. */
const KEPT_CANCELS = 64;

/**
 * Stage timestamps of the most recent cancels by requestId, so the cancel path
 * can be broken down (bench, `inspect`-style diagnostics) without a profiler: a
 * few `performance.now()` calls per cancel and a bounded map, nothing per token.
 * Times are the worker's monotonic clock; `timeOrigin` turns them into epoch
 * milliseconds for comparison with another process (same machine only).
 *
 * @example
 * ```ts
 * const timeline = new CancelTimeline();
 * timeline.received(requestId);
 * registry.cancel({ requestId });
 * timeline.stamp(requestId, "abortedAt");
 * timeline.get(requestId); // { receivedAt, abortedAt }
 * ```
 */
export class CancelTimeline {
  readonly timeOrigin = performance.timeOrigin;
  readonly #stages = new Map<string, CancelStages>();

  /** Starts (or restarts) the record of `requestId` with its arrival time. */
  received(requestId: string, at = performance.now()): void {
    this.#stages.delete(requestId);
    this.#stages.set(requestId, { receivedAt: at });
    if (this.#stages.size > KEPT_CANCELS) this.#stages.delete(this.#stages.keys().next().value!);
  }

  /** Records a later stage of a cancel already received; a request nobody cancelled costs one map lookup. */
  stamp(requestId: string, stage: Exclude<keyof CancelStages, "receivedAt">, at = performance.now()): void {
    const stages = this.#stages.get(requestId);
    if (stages !== undefined && stages[stage] === undefined) stages[stage] = at;
  }

  get(requestId: string): Readonly<CancelStages> | undefined {
    return this.#stages.get(requestId);
  }

  get size(): number {
    return this.#stages.size;
  }
}
