import { StageTimeline } from "./stage-timeline.ts";

/** When each stage of one request's way to its first streamed text happened in the worker: `performance.now()`, ms. */
export interface FirstTokenStages {
  /** The call frame reached the dispatcher (bare-rpc parsed it). */
  receivedAt: number;
  /** The registry admitted the request and its op began to run (call parsed, input validated, model looked up). */
  startedAt?: number;
  /** The engine is about to generate: prompt formatted and tokenized, sequence state adapted, generator made. */
  generatingAt?: number;
  /** node-llama-cpp handed over the first text (prompt evaluated, first token sampled and detokenized). */
  firstTextAt?: number;
  /** The first text delta was handed to the connection (it leaves in this run's one write, see FramedChannel). */
  firstSentAt?: number;
}

/**
 * Stage timestamps of the most recent calls by requestId, from the frame's arrival to the first text delta
 * handed to the connection, so time to first token can be broken down (bench) without a profiler: five
 * `performance.now()` calls and a bounded map per call, nothing per token. Times are the worker's monotonic
 * clock; `timeOrigin` turns them into epoch milliseconds for comparison with another process (same machine).
 *
 * @example
 * ```ts
 * const timeline = new FirstTokenTimeline();
 * timeline.received(requestId);
 * timeline.stamp(requestId, "startedAt");
 * timeline.get(requestId); // { receivedAt, startedAt }
 * ```
 */
export class FirstTokenTimeline extends StageTimeline<FirstTokenStages> {}
