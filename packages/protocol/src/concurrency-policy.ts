/**
 * How many requests of one kind may run at once on one model, and what happens
 * to the rest. Set per kind when creating a client; enforced by the worker's
 * registry. A kind without a policy is ungated.
 */
export interface ConcurrencyPolicy {
  /** Slots per (kind, model). Missing or non-finite: unlimited. Finite values below 1 become 1. */
  maxConcurrentPerModel?: number;
  /** What an over-limit request gets: a FIFO place in the queue (default) or an immediate rejection (52420). */
  onOverflow?: "queue" | "reject";
  /** Waiters allowed per (kind, model) before new ones are rejected. Default 64. */
  maxQueueDepth?: number;
  /** How long a request may wait for a slot. Missing, non-finite or not positive: forever (a default would kill legitimately long waits). */
  queueTimeoutMs?: number;
}

/**
 * One request per model at a time; a second one is rejected with
 * `RequestRejectedByPolicyError` (52420) rather than queued.
 *
 * @example
 * ```ts
 * createClient({ policies: { completion: oneAtATimePerModel } });
 * ```
 */
export const oneAtATimePerModel: Readonly<ConcurrencyPolicy> = Object.freeze({
  maxConcurrentPerModel: 1,
  onOverflow: "reject",
});
