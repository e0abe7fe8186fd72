import type { RequestKind, RequestState } from "@rein/protocol";
import type { CancelCause } from "./cancel-signal-reason.ts";
import { DisposableScope } from "./disposable-scope.ts";
import type { RequestContext } from "./registry-types.ts";
import type { TrackedTimer } from "./tracked-timers.ts";

export type EndOutcome = "completed" | "failed" | "cancelled";

/** The registry operations a context forwards to; keeps the context free of registry internals. */
export interface RequestEntryOwner {
  endEntry(entry: RequestEntry, outcome: EndOutcome | undefined): Promise<void>;
  markEntryDraining(entry: RequestEntry): void;
}

interface QueuedSettlement {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The registry's private record of one request. Mutable on purpose: only the
 * registry writes it, handlers see it through the read-only `RequestContext`.
 */
export class RequestEntry {
  readonly requestId: string;
  readonly kind: RequestKind;
  readonly modelId: string | null;
  readonly workspace: string | null;
  readonly parentRequestId: string | null;
  readonly startedAt: number;
  readonly deadline: number | null;
  /** Who started it (a connection's API key id); null for the local app, which may see everything. */
  readonly owner: string | null;
  readonly controller = new AbortController();
  readonly scope = new DisposableScope();
  readonly context: RequestContext;

  state: RequestState = "running";
  cancelCause: CancelCause | null = null;
  draining = false;
  failed = false;
  /** Live links only: cleared when either side ends, so ended requests are not retained. */
  parent: RequestEntry | null = null;
  children: Set<RequestEntry> | null = null;
  /** Lane of a gated request; `holdsSlot` says whether it owns a slot there right now. */
  laneKey: string | null = null;
  holdsSlot = false;
  deadlineTimer: TrackedTimer | null = null;
  queueTimer: TrackedTimer | null = null;
  /** Settles the pending `begin()` of a queued request. */
  queued: QueuedSettlement | null = null;
  /** Set once by the first `end()`; later calls return it. */
  ending: Promise<void> | null = null;

  constructor(
    fields: {
      requestId: string;
      kind: RequestKind;
      modelId: string | null;
      workspace?: string | null;
      parentRequestId: string | null;
      startedAt: number;
      deadline: number | null;
      owner?: string | null;
    },
    owner: RequestEntryOwner,
  ) {
    this.requestId = fields.requestId;
    this.kind = fields.kind;
    this.modelId = fields.modelId;
    this.workspace = fields.workspace ?? null;
    this.parentRequestId = fields.parentRequestId;
    this.startedAt = fields.startedAt;
    this.deadline = fields.deadline;
    this.owner = fields.owner ?? null;
    this.context = new RequestContextHandle(this, owner);
  }

  /** Aborted or otherwise settled as cancelled: a cancel has nothing left to do. */
  get cancelled(): boolean {
    return this.cancelCause !== null || this.draining;
  }
}

// A separate object so handlers cannot reach (or mutate) the entry's internals.
class RequestContextHandle implements RequestContext {
  readonly #entry: RequestEntry;
  readonly #owner: RequestEntryOwner;

  constructor(entry: RequestEntry, owner: RequestEntryOwner) {
    this.#entry = entry;
    this.#owner = owner;
  }

  get requestId(): string {
    return this.#entry.requestId;
  }
  get kind(): RequestKind {
    return this.#entry.kind;
  }
  get modelId(): string | null {
    return this.#entry.modelId;
  }
  get workspace(): string | null {
    return this.#entry.workspace;
  }
  get parentRequestId(): string | null {
    return this.#entry.parentRequestId;
  }
  get signal(): AbortSignal {
    return this.#entry.controller.signal;
  }
  get scope(): DisposableScope {
    return this.#entry.scope;
  }
  get state(): RequestState {
    return this.#entry.state;
  }
  get cancelCause(): CancelCause | null {
    return this.#entry.cancelCause;
  }
  get deadline(): number | null {
    return this.#entry.deadline;
  }
  get draining(): boolean {
    return this.#entry.draining;
  }

  markFailed(): void {
    this.#entry.failed = true;
  }

  markDraining(): void {
    this.#owner.markEntryDraining(this.#entry);
  }

  end(outcome?: EndOutcome): Promise<void> {
    return this.#owner.endEntry(this.#entry, outcome);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.end();
  }
}
