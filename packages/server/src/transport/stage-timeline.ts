/** How many recent requests a timeline keeps: enough for a bench round, small enough to cost nothing. */
const KEPT_REQUESTS = 64;

/**
 * Stage timestamps of the most recent requests by requestId (`performance.now()` of the worker, ms), so a path
 * can be broken down (bench, diagnostics) without a profiler: a few stamps and a bounded map per request, nothing
 * per token. Each stage is stamped once (the first time); a request never received costs one map lookup.
 * `timeOrigin` turns the times into epoch milliseconds for comparison with another process (same machine only).
 *
 * @example
 * ```ts
 * const timeline = new StageTimeline<{ receivedAt: number; abortedAt?: number }>();
 * timeline.received(requestId);
 * timeline.stamp(requestId, "abortedAt");
 * timeline.get(requestId); // { receivedAt, abortedAt }
 * ```
 */
export class StageTimeline<Stages extends { receivedAt: number }> {
  readonly timeOrigin = performance.timeOrigin;
  readonly #stages = new Map<string, Stages>();

  /** Starts (or restarts) the record of `requestId` with its arrival time. */
  received(requestId: string, at = performance.now()): void {
    this.#stages.delete(requestId);
    this.#stages.set(requestId, { receivedAt: at } as Stages);
    if (this.#stages.size > KEPT_REQUESTS) this.#stages.delete(this.#stages.keys().next().value!);
  }

  /** Records a later stage of a request already received, once. */
  stamp(requestId: string, stage: Exclude<keyof Stages, "receivedAt">, at = performance.now()): void {
    const stages = this.#stages.get(requestId) as Record<PropertyKey, number | undefined> | undefined;
    if (stages !== undefined && stages[stage] === undefined) stages[stage] = at;
  }

  get(requestId: string): Readonly<Stages> | undefined {
    return this.#stages.get(requestId);
  }

  get size(): number {
    return this.#stages.size;
  }
}
