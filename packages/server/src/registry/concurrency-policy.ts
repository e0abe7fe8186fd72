import type { ConcurrencyPolicy } from "@rein/protocol";

export type { ConcurrencyPolicy } from "@rein/protocol";

/** A policy with every field decided, so admission never re-checks defaults. */
export interface NormalizedConcurrencyPolicy {
  readonly maxConcurrentPerModel: number;
  readonly onOverflow: "queue" | "reject";
  readonly maxQueueDepth: number;
  readonly queueTimeoutMs: number | null;
}

export const DEFAULT_MAX_QUEUE_DEPTH = 64;

export { oneAtATimePerModel } from "@rein/protocol";
/** The policy of a kind that has none: never gated. */
export const UNGATED_POLICY: NormalizedConcurrencyPolicy = Object.freeze({
  maxConcurrentPerModel: Number.POSITIVE_INFINITY,
  onOverflow: "queue",
  maxQueueDepth: DEFAULT_MAX_QUEUE_DEPTH,
  queueTimeoutMs: null,
});

/**
 * Fills in defaults and clamps nonsense values, once, when a policy is set.
 * `maxConcurrentOverride` (a per-request cap such as a model's `parallel` count)
 * tightens the policy's `maxConcurrentPerModel`, never loosens it: the model
 * cannot run more sequences than it has, and an app that asked for
 * `oneAtATimePerModel` gets one at a time even on a model with `parallel: 4`.
 *
 * @example
 * ```ts
 * normalizeConcurrencyPolicy({ maxConcurrentPerModel: 0 }).maxConcurrentPerModel; // 1
 * normalizeConcurrencyPolicy(oneAtATimePerModel, 4).maxConcurrentPerModel;        // 1
 * normalizeConcurrencyPolicy({ onOverflow: "queue" }, 4).maxConcurrentPerModel;   // 4
 * ```
 */
export function normalizeConcurrencyPolicy(
  policy: ConcurrencyPolicy | undefined,
  maxConcurrentOverride?: number,
): NormalizedConcurrencyPolicy {
  const requestedMax =
    typeof maxConcurrentOverride === "number"
      ? Math.min(maxConcurrentOverride, policy?.maxConcurrentPerModel ?? Number.POSITIVE_INFINITY)
      : policy?.maxConcurrentPerModel;
  if (policy === undefined && typeof maxConcurrentOverride !== "number") return UNGATED_POLICY;
  return {
    maxConcurrentPerModel: normalizeMax(requestedMax),
    onOverflow: policy?.onOverflow === "reject" ? "reject" : "queue",
    maxQueueDepth: normalizeDepth(policy?.maxQueueDepth),
    queueTimeoutMs: normalizeTimeout(policy?.queueTimeoutMs),
  };
}

function normalizeMax(value: number | undefined): number {
  if (typeof value !== "number" || Number.isNaN(value) || value === Number.POSITIVE_INFINITY) {
    return Number.POSITIVE_INFINITY;
  }
  // A cap of 0 would make every request wait forever; treat it as the smallest useful cap.
  return Math.max(1, Math.floor(value));
}

function normalizeDepth(value: number | undefined): number {
  if (typeof value !== "number" || Number.isNaN(value)) return DEFAULT_MAX_QUEUE_DEPTH;
  if (value === Number.POSITIVE_INFINITY) return value;
  return Math.max(0, Math.floor(value));
}

function normalizeTimeout(value: number | undefined): number | null {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) return null;
  return value;
}

/**
 * The policy of each kind, normalised once when set. A per-request cap is
 * applied on top of the kind's policy as given (so its overflow rule, depth
 * and timeout still hold).
 *
 * @example
 * ```ts
 * const table = new PolicyTable();
 * table.set("completion", oneAtATimePerModel);
 * table.resolve("completion", 4).maxConcurrentPerModel; // 4
 * ```
 */
export class PolicyTable {
  readonly #given = new Map<string, ConcurrencyPolicy>();
  readonly #normalized = new Map<string, NormalizedConcurrencyPolicy>();

  /** Sets, or with `undefined` removes, the policy of `kind`. */
  set(kind: string, policy: ConcurrencyPolicy | undefined): void {
    if (policy === undefined) {
      this.#given.delete(kind);
      this.#normalized.delete(kind);
      return;
    }
    this.#given.set(kind, { ...policy });
    this.#normalized.set(kind, normalizeConcurrencyPolicy(policy));
  }

  /** The effective policy of one request of `kind`. */
  resolve(kind: string, maxConcurrentOverride?: number): NormalizedConcurrencyPolicy {
    if (typeof maxConcurrentOverride === "number") {
      return normalizeConcurrencyPolicy(this.#given.get(kind), maxConcurrentOverride);
    }
    return this.#normalized.get(kind) ?? UNGATED_POLICY;
  }
}
