import type { RequestKind, RequestState } from "@rein/protocol";
import type { CancelCause } from "./cancel-signal-reason.ts";
import type { ConcurrencyPolicy } from "./concurrency-policy.ts";
import type { DisposableScope } from "./disposable-scope.ts";

/** One line of the request lifecycle log. */
export interface LifecycleLogEntry {
  event: "begin" | "queued" | "cancel" | "end" | "rejected";
  requestId: string;
  kind: RequestKind;
  modelId: string | null;
  state: RequestState;
  /** Milliseconds since `begin()` was called. */
  durationMs: number;
  /** Cancel cause, rejection reason, or cleanup failures. */
  reason?: string;
}

export interface RegistryOptions {
  /** Concurrency policy per kind; kinds without one are ungated. */
  policies?: Partial<Record<RequestKind, ConcurrencyPolicy>>;
  /** Receives every lifecycle event. A throwing logger is ignored. */
  logger?: (entry: LifecycleLogEntry) => void;
  /** Bounds of the cancels remembered for ids not begun yet (and of cancelled-parent tombstones). Defaults 1024 and 30 000 ms. */
  rememberedCancels?: { maxEntries?: number; ttlMs?: number };
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

export interface BeginOptions {
  requestId: string;
  kind: RequestKind;
  modelId?: string;
  /** Links this request under a live one: cancelling the parent cancels it, and it never outlives the parent's deadline. */
  parentRequestId?: string;
  /** Deadline = now + timeoutMs; covers the queue wait and the run. */
  timeoutMs?: number;
  /** Per-request cap replacing the policy's `maxConcurrentPerModel` (completion passes the model's parallel count). */
  maxConcurrent?: number;
  /** The RAG workspace it works on: `cancel({ workspace })` reaches it. */
  workspace?: string;
  /**
   * Who starts it: the id of a remote connection's API key. Scoped callers see, cancel and parent only their
   * own requests; omitted for the local app.
   */
  owner?: string;
}

/** Limits `cancel()` and `snapshot()` to one owner's requests; an empty scope sees every request. */
export interface RegistryScope {
  owner?: string;
}

/** What a handler holds while its request runs. */
export interface RequestContext {
  readonly requestId: string;
  readonly kind: RequestKind;
  readonly modelId: string | null;
  readonly workspace: string | null;
  readonly parentRequestId: string | null;
  /** Aborted on cancel or deadline; `signal.reason` is a `CancelSignalReason`. */
  readonly signal: AbortSignal;
  readonly scope: DisposableScope;
  readonly state: RequestState;
  readonly cancelCause: CancelCause | null;
  /** Absolute ms in the registry's clock, clamped to the parent's; null when none. */
  readonly deadline: number | null;
  readonly draining: boolean;
  /** `end()` will then derive "failed". */
  markFailed(): void;
  /**
   * Soft cancel: the caller was answered "cancelled" but native work still runs.
   * The state becomes "cancelled"; the entry and its slot stay until `end()`.
   */
  markDraining(): void;
  /** Idempotent: concurrent and repeated calls return the same promise. */
  end(outcome?: "completed" | "failed" | "cancelled"): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What `cancel()` aims at. */
export type CancelTarget = { requestId: string } | { modelId: string; kind?: RequestKind } | { workspace: string } | { all: true };

/** Monotonic counters since the registry was made. */
export interface RegistryCounters {
  /** Contexts handed out by `begin()` (running or already aborted). */
  begun: number;
  /** Contexts ended. */
  ended: number;
  /** Contexts that ended in state "cancelled". */
  cancelled: number;
  /** Begins that threw: id conflict, policy, or deadline while queued. */
  rejected: number;
}
