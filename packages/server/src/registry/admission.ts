import type { PolicyRule, RequestKind } from "@rein/protocol";
import type { NormalizedConcurrencyPolicy } from "./concurrency-policy.ts";

/** A request waiting for a slot in a lane. */
export interface LaneWaiter {
  readonly requestId: string;
  /** The cap this waiter was admitted under (per-request overrides may differ). */
  readonly maxConcurrent: number;
  /** Called once, synchronously, when the slot is handed over. */
  admit(): void;
}

/** What a begin gets at the door of its lane. */
export type AdmissionDecision =
  | { readonly outcome: "acquire" }
  | { readonly outcome: "queue" }
  | { readonly outcome: "reject"; readonly rule: PolicyRule; readonly reason: string };

interface Lane {
  active: number;
  // A Map keeps FIFO order and removes a cancelled waiter in O(1).
  readonly waiters: Map<string, LaneWaiter>;
}

/**
 * The lane key of a (kind, model) pair. NUL cannot appear in a kind, so two
 * pairs never share a key.
 *
 * @example
 * ```ts
 * laneKey("completion", "model-a"); // "completion\u0000model-a"
 * ```
 */
export function laneKey(kind: RequestKind, modelId: string): string {
  return `${kind}\u0000${modelId}`;
}

/**
 * Per-(kind, model) slot counters with FIFO waiters. A lane exists only while it
 * has an active request or a waiter, so models that come and go leave nothing
 * behind. A freed slot goes straight to the oldest waiter and a newcomer never
 * jumps a non-empty queue, so admission is fair without acquire/release races.
 *
 * @example
 * ```ts
 * const lanes = new AdmissionLanes();
 * const key = laneKey("completion", "m");
 * if (lanes.decide(key, "completion", policy).outcome === "acquire") lanes.acquire(key);
 * lanes.release(key); // next waiter, if any, is admitted here
 * ```
 */
export class AdmissionLanes {
  readonly #lanes = new Map<string, Lane>();

  /** Lanes alive now (each has an active request or a waiter). */
  get size(): number {
    return this.#lanes.size;
  }

  /** Requests holding a slot in the lane. */
  activeCount(key: string): number {
    return this.#lanes.get(key)?.active ?? 0;
  }

  /** Requests waiting in the lane. */
  waitingCount(key: string): number {
    return this.#lanes.get(key)?.waiters.size ?? 0;
  }

  /**
   * Decides without changing anything, so a rejected begin leaves no lane behind.
   *
   * @example
   * ```ts
   * const decision = lanes.decide(key, kind, policy);
   * if (decision.outcome === "reject") throw new RequestRejectedByPolicyError({ ...decision, requestId, kind, modelId });
   * ```
   */
  decide(key: string, kind: RequestKind, policy: NormalizedConcurrencyPolicy): AdmissionDecision {
    const lane = this.#lanes.get(key);
    if (lane === undefined) return { outcome: "acquire" };
    if (lane.active < policy.maxConcurrentPerModel && lane.waiters.size === 0) return { outcome: "acquire" };
    if (policy.onOverflow === "reject") {
      return { outcome: "reject", rule: "maxConcurrent", reason: `another ${kind} request is already running on this model` };
    }
    if (lane.waiters.size >= policy.maxQueueDepth) {
      return {
        outcome: "reject",
        rule: "queueFull",
        reason: `the request queue for this model is full (${lane.waiters.size} waiting, maxQueueDepth ${policy.maxQueueDepth})`,
      };
    }
    return { outcome: "queue" };
  }

  /** Takes a slot (after `decide` said "acquire"). */
  acquire(key: string): void {
    this.#lane(key).active += 1;
  }

  /** Appends a waiter (after `decide` said "queue"). */
  enqueue(key: string, waiter: LaneWaiter): void {
    this.#lane(key).waiters.set(waiter.requestId, waiter);
  }

  /**
   * Where a waiter stands in its lane's FIFO: 1 for the head; null when it is not waiting there.
   *
   * @example
   * ```ts
   * lanes.positionOf(key, requestId); // 2: one request gets the next slot before it
   * ```
   */
  positionOf(key: string, requestId: string): number | null {
    let position = 0;
    for (const waiter of this.#lanes.get(key)?.waiters.keys() ?? []) {
      position += 1;
      if (waiter === requestId) return position;
    }
    return null;
  }

  /**
   * Removes a waiter that will never run (cancelled, timed out). Returns whether
   * it was there.
   *
   * @example
   * ```ts
   * lanes.removeWaiter(key, requestId);
   * ```
   */
  removeWaiter(key: string, requestId: string): boolean {
    const lane = this.#lanes.get(key);
    if (lane === undefined || !lane.waiters.delete(requestId)) return false;
    // Waiters behind it may fit now when per-request caps differ.
    this.#pump(key, lane);
    return true;
  }

  /**
   * Gives a slot back: the oldest waiter that fits is admitted at once.
   *
   * @example
   * ```ts
   * await scope.dispose(); lanes.release(key);
   * ```
   */
  release(key: string): void {
    const lane = this.#lanes.get(key);
    if (lane === undefined || lane.active === 0) return;
    lane.active -= 1;
    this.#pump(key, lane);
  }

  #lane(key: string): Lane {
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { active: 0, waiters: new Map() };
      this.#lanes.set(key, lane);
    }
    return lane;
  }

  #pump(key: string, lane: Lane): void {
    // The head decides (strict FIFO): a smaller waiter behind it does not overtake.
    for (const waiter of lane.waiters.values()) {
      if (lane.active >= waiter.maxConcurrent) break;
      lane.waiters.delete(waiter.requestId);
      lane.active += 1;
      // admit() may re-enter (its log line can cancel or begin); counts are already right.
      waiter.admit();
    }
    if (lane.active === 0 && lane.waiters.size === 0 && this.#lanes.get(key) === lane) this.#lanes.delete(key);
  }
}
