import {
  RequestIdConflictError,
  RequestRejectedByPolicyError,
  RequestTimeoutError,
  type CancelReason,
  type RequestKind,
  type RequestSnapshot,
} from "@rein/protocol";
import { AdmissionLanes, laneKey, type AdmissionDecision } from "./admission.ts";
import { CancelSignalReason, type CancelCause } from "./cancel-signal-reason.ts";
import { readCancelTarget } from "./cancel-target.ts";
import { PolicyTable, type ConcurrencyPolicy, type NormalizedConcurrencyPolicy } from "./concurrency-policy.ts";
import { IdleTracker } from "./idle-tracker.ts";
import { describeFailure, LifecycleLog } from "./lifecycle-log.ts";
import type { BeginOptions, CancelTarget, RegistryCounters, RegistryOptions, RegistryScope, RequestContext } from "./registry-types.ts";
import { BoundedExpiringMap } from "./remembered-cancels.ts";
import { RequestEntry, type EndOutcome, type RequestEntryOwner } from "./request-entry.ts";
import { deadlineWithin, RequestFamily } from "./request-family.ts";
import { assertAsyncDisposeAvailable } from "@rein/protocol";
import { TrackedTimers } from "./tracked-timers.ts";

// Without the symbol, `await using` would never end a request: fail loudly at import instead.
assertAsyncDisposeAvailable();

const END_OUTCOMES: ReadonlySet<string> = new Set(["completed", "failed", "cancelled"]);

/**
 * The worker's table of in-flight requests: admission per (kind, model), cancel
 * by id / model / all (including cancels that arrive before their request),
 * parent/child cascade, deadlines, and cleanup that finishes before a model
 * slot is given to the next request. One per worker process.
 *
 * @example
 * ```ts
 * const registry = new RequestRegistry({ policies: { completion: oneAtATimePerModel } });
 * await using context = await registry.begin({ requestId, kind: "completion", modelId });
 * context.scope.defer(() => sequence.dispose());
 * await generate({ signal: context.signal });
 * ```
 */
export class RequestRegistry implements RequestEntryOwner {
  readonly #entries = new Map<string, RequestEntry>();
  readonly #policies = new PolicyTable();
  readonly #lanes = new AdmissionLanes();
  readonly #timers = new TrackedTimers();
  readonly #idle = new IdleTracker();
  /** A remembered cancel keeps who sent it: only that owner's request (or any, for an unscoped sender) starts cancelled. */
  readonly #rememberedCancels: BoundedExpiringMap<string, { reason: CancelReason; owner: string | null }>;
  // Ids of requests that ended cancelled (or were rejected from the queue): a child naming one still dies.
  readonly #cancelledTombstones: BoundedExpiringMap<string, true>;
  /**
   * Ids that ended recently. A late cancel of a finished request (a Stop click
   * racing the last token) must not be remembered as a cancel-before-begin: an
   * app that reuses its own requestId would see its next request start cancelled.
   */
  readonly #recentlyEnded: BoundedExpiringMap<string, true>;
  readonly #family = new RequestFamily();
  readonly #log: LifecycleLog;
  readonly #now: () => number;
  readonly #counters: RegistryCounters = { begun: 0, ended: 0, cancelled: 0, rejected: 0 };

  constructor(options: RegistryOptions = {}) {
    // Read per call (not captured) so a clock swapped in later, e.g. by fake timers, is honoured.
    this.#now = options.now ?? (() => Date.now());
    this.#log = new LifecycleLog(options.logger, this.#now);
    const bounds = { ...options.rememberedCancels, now: this.#now };
    this.#rememberedCancels = new BoundedExpiringMap(bounds);
    this.#cancelledTombstones = new BoundedExpiringMap(bounds);
    this.#recentlyEnded = new BoundedExpiringMap(bounds);
    for (const [kind, policy] of Object.entries(options.policies ?? {})) {
      this.setPolicy(kind as RequestKind, policy);
    }
  }

  /** Entries, queued and draining ones included. */
  get size(): number {
    return this.#entries.size;
  }

  get counters(): Readonly<RegistryCounters> {
    return Object.freeze({ ...this.#counters });
  }

  get rememberedCancelCount(): number {
    return this.#rememberedCancels.size;
  }

  get cancelledTombstoneCount(): number {
    return this.#cancelledTombstones.size;
  }

  /** Live parent-to-child links; 0 when idle. */
  get childLinkCount(): number {
    return this.#family.linkCount;
  }

  get laneCount(): number {
    return this.#lanes.size;
  }

  get pendingTimerCount(): number {
    return this.#timers.pendingCount;
  }

  /**
   * Sets (or with `undefined` removes) the policy of a kind. Applies to later
   * begins; requests already admitted or queued keep the cap they got.
   *
   * @example
   * ```ts
   * registry.setPolicy("completion", { maxConcurrentPerModel: 1, onOverflow: "queue", maxQueueDepth: 64 });
   * ```
   */
  setPolicy(kind: RequestKind, policy: ConcurrencyPolicy | undefined): void {
    this.#policies.set(kind, policy);
  }

  /**
   * Enters a request. Resolves with its context once it may run, or at once
   * with an already-aborted context when it was cancelled before (or while
   * waiting for) its slot. Rejects with `RequestIdConflictError`,
   * `RequestRejectedByPolicyError` or `RequestTimeoutError` (phase "queued"),
   * leaving nothing behind.
   *
   * @example
   * ```ts
   * const context = await registry.begin({ requestId, kind: "embeddings", modelId, timeoutMs: 10_000 });
   * try { await embed(context.signal); } catch (error) { context.markFailed(); throw error; } finally { await context.end(); }
   * ```
   */
  async begin(options: BeginOptions): Promise<RequestContext> {
    const startedAt = this.#now();
    const { requestId, kind } = options;
    const modelId = options.modelId ?? null;
    if (this.#entries.has(requestId)) {
      this.#reject({ requestId, kind, modelId, startedAt }, "request id conflict");
      throw new RequestIdConflictError({ requestId });
    }
    const owner = options.owner ?? null;
    const parentRequestId = options.parentRequestId ?? null;
    // Another owner's request is not a parent this caller can name: to it, that id does not exist.
    const parentEntry = parentRequestId === null ? undefined : this.#entries.get(parentRequestId);
    const parent = parentEntry !== undefined && isVisibleTo(parentEntry, owner) ? parentEntry : undefined;
    const deadline = deadlineWithin(startedAt, options.timeoutMs, parent?.deadline ?? null);
    const causeAtBegin = this.#causeAtBegin(requestId, owner, parentRequestId, parent, deadline, startedAt);

    const policy = this.#policies.resolve(kind, options.maxConcurrent);
    let key: string | null = null;
    let decision: AdmissionDecision = { outcome: "acquire" };
    // An aborted request is let in ungated: it will only unwind, so it must not wait for or take a slot.
    if (causeAtBegin === null && modelId !== null && Number.isFinite(policy.maxConcurrentPerModel)) {
      key = laneKey(kind, modelId);
      decision = this.#lanes.decide(key, kind, policy);
      if (decision.outcome === "reject") {
        this.#reject({ requestId, kind, modelId, startedAt }, decision.reason);
        throw new RequestRejectedByPolicyError({ requestId, kind, modelId, reason: decision.reason, rule: decision.rule });
      }
    }

    const entry = new RequestEntry({ requestId, kind, modelId, workspace: options.workspace ?? null, parentRequestId, startedAt, deadline, owner }, this);
    this.#entries.set(requestId, entry);
    this.#idle.add(modelId);
    if (parent !== undefined) this.#family.link(parent, entry);

    if (causeAtBegin !== null) {
      entry.cancelCause = causeAtBegin;
      entry.state = "cancelling";
      entry.controller.abort(new CancelSignalReason(causeAtBegin, requestId));
      this.#markBegun(entry, `${causeAtBegin} before begin`);
      return entry.context;
    }
    if (deadline !== null) {
      entry.deadlineTimer = this.#timers.start(deadline - startedAt, () => this.#onDeadline(entry));
    }
    if (key === null || decision.outcome === "acquire") {
      if (key !== null) {
        this.#lanes.acquire(key);
        entry.laneKey = key;
        entry.holdsSlot = true;
      }
      this.#markBegun(entry);
      return entry.context;
    }
    return this.#enqueue(entry, key, policy);
  }

  /**
   * Aborts the target and every descendant; returns how many requests this call
   * newly aborted (queued ones included). An unknown id returns 0 and is
   * remembered, so a begin that arrives later starts already aborted.
   *
   * @example
   * ```ts
   * registry.cancel({ requestId });                       // 1, then 0 when repeated
   * registry.cancel({ modelId }, "modelUnloaded");        // everything on the model
   * registry.cancel({ workspace: "notes" });              // everything on a RAG workspace
   * registry.cancel({ all: true }, "shutdown");
   * registry.cancel({ all: true }, "clientDisconnected", { owner: "key-1" }); // only key-1's requests
   * ```
   */
  cancel(target: CancelTarget, reason: CancelReason = "user", scope: RegistryScope = {}): number {
    const parsed = readCancelTarget(target);
    const owner = scope.owner ?? null;
    if (parsed.type === "request") {
      const entry = this.#entries.get(parsed.requestId);
      // Another owner's request counts 0, exactly like an unknown id: a caller learns nothing about it.
      if (entry !== undefined) return isVisibleTo(entry, owner) ? this.#cancelTree(entry, reason) : 0;
      if (!this.#recentlyEnded.has(parsed.requestId)) this.#rememberedCancels.remember(parsed.requestId, { reason, owner });
      return 0;
    }
    let count = 0;
    // A copy: abort listeners run synchronously and may end or begin requests.
    for (const entry of Array.from(this.#entries.values())) {
      if (parsed.matches(entry) && isVisibleTo(entry, owner)) count += this.#cancelTree(entry, reason);
    }
    return count;
  }

  /**
   * The live context of `requestId` (queued and draining included).
   *
   * @example
   * ```ts
   * registry.get(requestId)?.signal.aborted;
   * registry.get(requestId, { owner: "key-1" }); // undefined when key-1 did not start it
   * ```
   */
  get(requestId: string, scope: RegistryScope = {}): RequestContext | undefined {
    const entry = this.#entries.get(requestId);
    return entry !== undefined && isVisibleTo(entry, scope.owner ?? null) ? entry.context : undefined;
  }

  /**
   * Every entry, queued and draining ones included, for diagnostics.
   *
   * @example
   * ```ts
   * const queued = registry.snapshot().filter((request) => request.state === "queued").length;
   * const mine = registry.snapshot({ owner: "key-1" });
   * ```
   */
  snapshot(scope: RegistryScope = {}): RequestSnapshot[] {
    const owner = scope.owner ?? null;
    const now = this.#now();
    const snapshots: RequestSnapshot[] = [];
    for (const entry of this.#entries.values()) {
      if (!isVisibleTo(entry, owner)) continue;
      snapshots.push({
        requestId: entry.requestId,
        kind: entry.kind,
        modelId: entry.modelId,
        state: entry.state,
        parentRequestId: entry.parentRequestId,
        cancelReason: entry.cancelCause,
        draining: entry.draining,
        ageMs: now - entry.startedAt,
        queuePosition: entry.state === "queued" && entry.laneKey !== null ? this.#lanes.positionOf(entry.laneKey, entry.requestId) : null,
        ...(entry.workspace === null ? {} : { workspace: entry.workspace }),
      });
    }
    return snapshots;
  }

  /**
   * Resolves when no request (on `modelId`, when given) remains, counting
   * draining ones and ones whose cleanup is still running.
   *
   * @example
   * ```ts
   * registry.cancel({ modelId }, "modelUnloaded");
   * await registry.whenIdle({ modelId });
   * await model.dispose();
   * ```
   */
  whenIdle(filter: { modelId?: string } = {}): Promise<void> {
    return this.#idle.whenIdle(filter.modelId);
  }

  /** @internal called by `RequestContext.end()`. */
  endEntry(entry: RequestEntry, outcome: EndOutcome | undefined): Promise<void> {
    if (entry.ending !== null) return entry.ending;
    this.#recentlyEnded.remember(entry.requestId, true);
    // Assigned before any cleanup runs, so an end() from inside a cleanup gets this same promise.
    let finished!: () => void;
    entry.ending = new Promise<void>((resolve) => {
      finished = resolve;
    });
    void this.#finish(entry, outcome).then(finished, finished);
    return entry.ending;
  }

  /** @internal called by `RequestContext.markDraining()`. */
  markEntryDraining(entry: RequestEntry): void {
    if (entry.ending !== null || entry.state === "queued" || entry.draining) return;
    // Normally the signal is already aborted; if not, abort it so descendants stop too.
    if (entry.cancelCause === null) this.#cancelTree(entry, "user");
    entry.draining = true;
    entry.state = "cancelled";
  }

  #causeAtBegin(
    requestId: string,
    owner: string | null,
    parentRequestId: string | null,
    parent: RequestEntry | undefined,
    deadline: number | null,
    startedAt: number,
  ): CancelCause | null {
    // Consumed here (single use): a retry with the same id later is not affected.
    const remembered = this.#rememberedCancels.take(requestId);
    if (remembered !== undefined && (remembered.owner === null || remembered.owner === owner)) return remembered.reason;
    if (parent !== undefined && parent.cancelled) return parent.cancelCause === "timeout" ? "timeout" : "parentCancelled";
    if (parent === undefined && parentRequestId !== null && this.#cancelledTombstones.has(parentRequestId)) {
      return "parentCancelled";
    }
    if (deadline !== null && deadline <= startedAt) return "timeout";
    return null;
  }

  async #enqueue(entry: RequestEntry, key: string, policy: NormalizedConcurrencyPolicy): Promise<RequestContext> {
    entry.state = "queued";
    entry.laneKey = key;
    const admitted = new Promise<void>((resolve, reject) => {
      entry.queued = { resolve, reject };
    });
    this.#lanes.enqueue(key, {
      requestId: entry.requestId,
      maxConcurrent: policy.maxConcurrentPerModel,
      admit: () => this.#admit(entry),
    });
    const queueTimeoutMs = policy.queueTimeoutMs;
    if (queueTimeoutMs !== null) {
      entry.queueTimer = this.#timers.start(queueTimeoutMs, () => {
        entry.queueTimer = null;
        const reason = `timed out after waiting ${queueTimeoutMs} ms for a slot on this model`;
        const error = new RequestRejectedByPolicyError({
          requestId: entry.requestId,
          kind: entry.kind,
          modelId: entry.modelId ?? "",
          reason,
          rule: "queueTimeout",
        });
        this.#rejectQueued(entry, error, reason);
      });
    }
    this.#log.request("queued", entry);
    await admitted;
    return entry.context;
  }

  #admit(entry: RequestEntry): void {
    entry.holdsSlot = true;
    entry.state = "running";
    this.#timers.clear(entry.queueTimer);
    entry.queueTimer = null;
    this.#settleQueued(entry);
    this.#markBegun(entry);
  }

  #markBegun(entry: RequestEntry, reason?: string): void {
    this.#counters.begun += 1;
    this.#log.request("begin", entry, reason);
  }

  #settleQueued(entry: RequestEntry, error?: unknown): void {
    const settlement = entry.queued;
    entry.queued = null;
    if (settlement === null) return;
    if (error === undefined) settlement.resolve();
    else settlement.reject(error);
  }

  #onDeadline(entry: RequestEntry): void {
    entry.deadlineTimer = null;
    if (entry.state !== "queued") {
      this.#cancelTree(entry, "timeout");
      return;
    }
    const timeoutMs = (entry.deadline ?? entry.startedAt) - entry.startedAt;
    const error = new RequestTimeoutError({ requestId: entry.requestId, timeoutMs, phase: "queued" });
    this.#rejectQueued(entry, error, `deadline of ${timeoutMs} ms passed while queued`);
  }

  /** Aborts `root` and its live descendants; returns how many were newly aborted. */
  #cancelTree(root: RequestEntry, cause: CancelCause): number {
    let count = 0;
    const pending: [RequestEntry, CancelCause][] = [[root, cause]];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const [entry, entryCause] = next;
      // An ending entry is out of reach already; one reached through a stale family link stays as it is.
      if (entry.ending !== null || !this.#abort(entry, entryCause)) continue;
      count += 1;
      if (entry.children !== null) {
        // A child's deadline is clamped to its parent's, so when the parent timed out the child did too.
        for (const child of entry.children) pending.push([child, entryCause === "timeout" ? "timeout" : "parentCancelled"]);
      }
    }
    return count;
  }

  #abort(entry: RequestEntry, cause: CancelCause): boolean {
    if (entry.cancelled) return false;
    const wasQueued = entry.state === "queued";
    entry.cancelCause = cause;
    entry.state = "cancelling";
    this.#clearTimers(entry);
    // A cancelled waiter leaves the queue at once and never touches the model.
    if (wasQueued && entry.laneKey !== null) this.#lanes.removeWaiter(entry.laneKey, entry.requestId);
    this.#log.request("cancel", entry, cause);
    entry.controller.abort(new CancelSignalReason(cause, entry.requestId));
    if (wasQueued) {
      this.#settleQueued(entry);
      this.#markBegun(entry, `${cause} while queued`);
    }
    return true;
  }

  #rejectQueued(entry: RequestEntry, error: Error, reason: string): void {
    if (entry.state !== "queued" || entry.ending !== null) return;
    this.#clearTimers(entry);
    if (entry.laneKey !== null) this.#lanes.removeWaiter(entry.laneKey, entry.requestId);
    entry.state = "failed";
    const children = this.#detach(entry);
    this.#cancelledTombstones.remember(entry.requestId, true);
    this.#reject(entry, reason);
    this.#settleQueued(entry, error);
    this.#idle.remove(entry.modelId);
    // The parent will never run; work started on its behalf must not either.
    for (const child of children) this.#cancelTree(child, "parentCancelled");
  }

  async #finish(entry: RequestEntry, outcome: EndOutcome | undefined): Promise<void> {
    // Ending a request that is still waiting: it leaves the queue as cancelled and its begin() resolves.
    if (entry.state === "queued") this.#abort(entry, "user");
    const state: EndOutcome =
      outcome !== undefined && END_OUTCOMES.has(outcome)
        ? outcome
        : entry.cancelled
          ? "cancelled"
          : entry.failed
            ? "failed"
            : "completed";
    this.#clearTimers(entry);
    // Removed before unwinding so a racing cancel finds nothing and counts 0.
    this.#detach(entry);
    entry.state = state;
    this.#counters.ended += 1;
    if (state === "cancelled") {
      this.#counters.cancelled += 1;
      this.#cancelledTombstones.remember(entry.requestId, true);
    }
    let cleanupFailure: string | undefined;
    try {
      await entry.scope.dispose();
    } catch (error) {
      cleanupFailure = `cleanup failed: ${describeFailure(error)}`;
    }
    const cancelNote = state === "cancelled" && entry.cancelCause !== null ? entry.cancelCause : undefined;
    const reason = [cancelNote, cleanupFailure].filter((part) => part !== undefined).join("; ");
    this.#log.request("end", entry, reason === "" ? undefined : reason);
    // Only now, with native teardown done, may the next request on this model start.
    if (entry.holdsSlot && entry.laneKey !== null) {
      entry.holdsSlot = false;
      this.#lanes.release(entry.laneKey);
    }
    this.#idle.remove(entry.modelId);
  }

  /** Removes `entry` from the table and from the family tree; returns its former children. */
  #detach(entry: RequestEntry): RequestEntry[] {
    if (this.#entries.get(entry.requestId) === entry) this.#entries.delete(entry.requestId);
    return this.#family.detach(entry);
  }

  #clearTimers(entry: RequestEntry): void {
    this.#timers.clear(entry.deadlineTimer);
    this.#timers.clear(entry.queueTimer);
    entry.deadlineTimer = null;
    entry.queueTimer = null;
  }

  #reject(request: { requestId: string; kind: RequestKind; modelId: string | null; startedAt: number }, reason: string): void {
    this.#counters.rejected += 1;
    this.#log.rejected(request, reason);
  }
}

/**
 * Whether a caller scoped to `owner` may see and cancel `entry`. `null` is the
 * unscoped caller (the local app, an admin key): it sees every request.
 */
function isVisibleTo(entry: RequestEntry, owner: string | null): boolean {
  return owner === null || entry.owner === owner;
}
