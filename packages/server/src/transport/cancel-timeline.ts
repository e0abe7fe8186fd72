import { StageTimeline } from "./stage-timeline.ts";

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
export class CancelTimeline extends StageTimeline<CancelStages> {}
