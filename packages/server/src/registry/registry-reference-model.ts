import type { CancelReason, RequestKind, RequestState } from "@rein/protocol";
import type { CancelCause } from "./cancel-signal-reason.ts";

/**
 * A deliberately naive re-statement of the registry's rules (arrays, linear
 * scans, no shared code) that the property test runs in lockstep with the real
 * registry. Test support only: not exported from the package.
 */

export interface ModelPolicy {
  maxConcurrentPerModel: number;
  onOverflow: "queue" | "reject";
  maxQueueDepth: number;
  queueTimeoutMs: number | undefined;
}

export type ExpectedBegin =
  | { status: "pending" }
  | { status: "context" }
  | { status: "rejected"; error: "conflict" | "maxConcurrent" | "queueFull" | "queueTimeout" | "queuedDeadline" };

interface ModelTimer {
  callAt: number;
  seq: number;
  type: "deadline" | "queue";
  entry: ModelEntry;
}

export interface ModelEntry {
  id: string;
  token: number;
  kind: RequestKind;
  model: string | null;
  parent: ModelEntry | null;
  children: ModelEntry[];
  state: RequestState;
  cause: CancelCause | null;
  draining: boolean;
  failed: boolean;
  laneKey: string | null;
  holdsSlot: boolean;
  maxConcurrent: number;
  deadline: number | null;
  deadlineTimer: ModelTimer | null;
  queueTimer: ModelTimer | null;
  abortedByCancelCall: boolean;
}

interface ModelLane {
  active: number;
  waiters: ModelEntry[];
}

/** Insertion-ordered set with a cap, oldest evicted; no TTL (the test never runs that long). */
class CappedMemory<V> {
  readonly items: [string, V][] = [];
  constructor(readonly cap: number) {}
  remember(key: string, value: V): void {
    const index = this.items.findIndex(([existing]) => existing === key);
    const kept = index >= 0 ? this.items[index]![1] : value;
    if (index >= 0) this.items.splice(index, 1);
    this.items.push([key, kept]);
    while (this.items.length > this.cap) this.items.shift();
  }
  take(key: string): V | undefined {
    const index = this.items.findIndex(([existing]) => existing === key);
    if (index < 0) return undefined;
    return this.items.splice(index, 1)[0]![1];
  }
  has(key: string): boolean {
    return this.items.some(([existing]) => existing === key);
  }
}

export class RegistryReferenceModel {
  now: number;
  entries: ModelEntry[] = [];
  readonly lanes = new Map<string, ModelLane>();
  readonly timers: ModelTimer[] = [];
  readonly expected = new Map<number, ExpectedBegin>();
  readonly remembered: CappedMemory<CancelReason>;
  readonly tombstones: CappedMemory<true>;
  readonly recentlyEnded: CappedMemory<true>;
  #timerSeq = 0;

  constructor(
    readonly policies: Partial<Record<RequestKind, ModelPolicy>>,
    rememberCap: number,
    startTime: number,
  ) {
    this.remembered = new CappedMemory(rememberCap);
    this.tombstones = new CappedMemory(rememberCap);
    this.recentlyEnded = new CappedMemory(rememberCap);
    this.now = startTime;
  }

  find(id: string): ModelEntry | undefined {
    return this.entries.find((entry) => entry.id === id);
  }

  begin(token: number, id: string, kind: RequestKind, model: string | null, parentId: string | null, timeoutMs: number | null): ModelEntry | null {
    if (this.find(id) !== undefined) {
      this.expected.set(token, { status: "rejected", error: "conflict" });
      return null;
    }
    const parent = parentId === null ? undefined : this.find(parentId);
    let deadline = timeoutMs === null ? null : this.now + Math.max(0, timeoutMs);
    if (parent?.deadline != null) deadline = deadline === null ? parent.deadline : Math.min(deadline, parent.deadline);
    let cause: CancelCause | null = this.remembered.take(id) ?? null;
    if (cause === null && parent !== undefined && (parent.cause !== null || parent.draining)) {
      cause = parent.cause === "timeout" ? "timeout" : "parentCancelled";
    }
    if (cause === null && parent === undefined && parentId !== null && this.tombstones.has(parentId)) cause = "parentCancelled";
    if (cause === null && deadline !== null && deadline <= this.now) cause = "timeout";

    const policy = this.policies[kind];
    const gated = cause === null && model !== null && policy !== undefined;
    const laneKey = gated ? `${kind}/${model}` : null;
    let admission: "run" | "queue" = "run";
    if (gated && policy !== undefined && laneKey !== null) {
      const lane = this.lanes.get(laneKey);
      if (lane !== undefined && !(lane.active < policy.maxConcurrentPerModel && lane.waiters.length === 0)) {
        if (policy.onOverflow === "reject") {
          this.expected.set(token, { status: "rejected", error: "maxConcurrent" });
          return null;
        }
        if (lane.waiters.length >= policy.maxQueueDepth) {
          this.expected.set(token, { status: "rejected", error: "queueFull" });
          return null;
        }
        admission = "queue";
      }
    }
    const entry: ModelEntry = {
      id,
      token,
      kind,
      model,
      parent: parent ?? null,
      children: [],
      state: "running",
      cause: null,
      draining: false,
      failed: false,
      laneKey,
      holdsSlot: false,
      maxConcurrent: policy?.maxConcurrentPerModel ?? Number.POSITIVE_INFINITY,
      deadline,
      deadlineTimer: null,
      queueTimer: null,
      abortedByCancelCall: false,
    };
    this.entries.push(entry);
    parent?.children.push(entry);
    if (cause !== null) {
      entry.cause = cause;
      entry.state = "cancelling";
      this.expected.set(token, { status: "context" });
      return entry;
    }
    if (deadline !== null) entry.deadlineTimer = this.#startTimer(deadline, "deadline", entry);
    if (laneKey === null || admission === "run") {
      if (laneKey !== null) {
        this.#lane(laneKey).active += 1;
        entry.holdsSlot = true;
      }
      this.expected.set(token, { status: "context" });
      return entry;
    }
    entry.state = "queued";
    this.#lane(laneKey).waiters.push(entry);
    if (policy?.queueTimeoutMs !== undefined) entry.queueTimer = this.#startTimer(this.now + policy.queueTimeoutMs, "queue", entry);
    this.expected.set(token, { status: "pending" });
    return entry;
  }

  cancelById(id: string, reason: CancelReason): number {
    const entry = this.find(id);
    if (entry === undefined) {
      if (!this.recentlyEnded.has(id)) this.remembered.remember(id, reason);
      return 0;
    }
    return this.#cancelTree(entry, reason, true);
  }

  cancelWhere(matches: (entry: ModelEntry) => boolean, reason: CancelReason): number {
    let count = 0;
    for (const entry of [...this.entries]) if (matches(entry)) count += this.#cancelTree(entry, reason, true);
    return count;
  }

  markDraining(entry: ModelEntry): void {
    if (!this.entries.includes(entry) || entry.state === "queued" || entry.draining) return;
    if (entry.cause === null) this.#cancelTree(entry, "user", false);
    entry.draining = true;
    entry.state = "cancelled";
  }

  /** The synchronous part of end(); returns the terminal state. */
  endStart(entry: ModelEntry): RequestState {
    const state: RequestState = entry.cause !== null || entry.draining ? "cancelled" : entry.failed ? "failed" : "completed";
    this.recentlyEnded.remember(entry.id, true);
    this.#clearTimers(entry);
    this.#detach(entry);
    entry.state = state;
    if (state === "cancelled") this.tombstones.remember(entry.id, true);
    return state;
  }

  /** What happens once the cleanup finished. */
  endFinish(entry: ModelEntry): void {
    if (!entry.holdsSlot || entry.laneKey === null) return;
    entry.holdsSlot = false;
    const lane = this.lanes.get(entry.laneKey)!;
    lane.active -= 1;
    this.#pump(entry.laneKey);
  }

  advance(milliseconds: number): void {
    const target = this.now + milliseconds;
    for (;;) {
      const due = this.timers
        .filter((timer) => timer.callAt <= target)
        .sort((left, right) => left.callAt - right.callAt || left.seq - right.seq)[0];
      if (due === undefined) break;
      this.now = due.callAt;
      this.timers.splice(this.timers.indexOf(due), 1);
      if (due.type === "deadline") {
        due.entry.deadlineTimer = null;
        if (due.entry.state === "queued") this.#rejectQueued(due.entry, "queuedDeadline");
        else this.#cancelTree(due.entry, "timeout", false);
      } else {
        due.entry.queueTimer = null;
        this.#rejectQueued(due.entry, "queueTimeout");
      }
    }
    this.now = target;
  }

  get laneCount(): number {
    return this.lanes.size;
  }

  #cancelTree(root: ModelEntry, cause: CancelCause, counted: boolean): number {
    let count = 0;
    const pending: [ModelEntry, CancelCause][] = [[root, cause]];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const [entry, entryCause] = next;
      if (!this.entries.includes(entry) || entry.cause !== null || entry.draining) continue;
      const wasQueued = entry.state === "queued";
      entry.cause = entryCause;
      entry.state = "cancelling";
      entry.abortedByCancelCall = counted;
      this.#clearTimers(entry);
      if (wasQueued) {
        this.#removeWaiter(entry);
        this.expected.set(entry.token, { status: "context" });
      }
      count += 1;
      for (const child of entry.children) pending.push([child, entryCause === "timeout" ? "timeout" : "parentCancelled"]);
    }
    return count;
  }

  #rejectQueued(entry: ModelEntry, error: "queueTimeout" | "queuedDeadline"): void {
    if (entry.state !== "queued") return;
    this.#clearTimers(entry);
    this.#removeWaiter(entry);
    entry.state = "failed";
    const children = [...entry.children];
    this.#detach(entry);
    this.tombstones.remember(entry.id, true);
    this.expected.set(entry.token, { status: "rejected", error });
    for (const child of children) this.#cancelTree(child, "parentCancelled", false);
  }

  #detach(entry: ModelEntry): void {
    this.entries = this.entries.filter((candidate) => candidate !== entry);
    if (entry.parent !== null) entry.parent.children = entry.parent.children.filter((child) => child !== entry);
    entry.parent = null;
    for (const child of entry.children) child.parent = null;
    entry.children = [];
  }

  #removeWaiter(entry: ModelEntry): void {
    const lane = entry.laneKey === null ? undefined : this.lanes.get(entry.laneKey);
    if (lane === undefined || entry.laneKey === null) return;
    lane.waiters = lane.waiters.filter((waiter) => waiter !== entry);
    this.#pump(entry.laneKey);
  }

  #pump(key: string): void {
    const lane = this.lanes.get(key)!;
    while (lane.waiters.length > 0 && lane.active < lane.waiters[0]!.maxConcurrent) {
      const admitted = lane.waiters.shift()!;
      lane.active += 1;
      admitted.holdsSlot = true;
      admitted.state = "running";
      if (admitted.queueTimer !== null) this.timers.splice(this.timers.indexOf(admitted.queueTimer), 1);
      admitted.queueTimer = null;
      this.expected.set(admitted.token, { status: "context" });
    }
    if (lane.active === 0 && lane.waiters.length === 0) this.lanes.delete(key);
  }

  #lane(key: string): ModelLane {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { active: 0, waiters: [] };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  #startTimer(callAt: number, type: ModelTimer["type"], entry: ModelEntry): ModelTimer {
    const timer: ModelTimer = { callAt, seq: this.#timerSeq++, type, entry };
    this.timers.push(timer);
    return timer;
  }

  #clearTimers(entry: ModelEntry): void {
    for (const timer of [entry.deadlineTimer, entry.queueTimer]) {
      if (timer !== null) this.timers.splice(this.timers.indexOf(timer), 1);
    }
    entry.deadlineTimer = null;
    entry.queueTimer = null;
  }
}
