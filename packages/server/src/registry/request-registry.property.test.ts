import type { CancelReason, RequestKind } from "@rein/protocol";
import { RequestIdConflictError, RequestRejectedByPolicyError, RequestTimeoutError } from "@rein/protocol";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { deferred, isSettled, type Deferred } from "./registry-test-support.ts";
import { RegistryReferenceModel, type ExpectedBegin, type ModelEntry, type ModelPolicy } from "./registry-reference-model.ts";
import type { LifecycleLogEntry, RequestContext } from "./registry-types.ts";
import { RequestRegistry } from "./request-registry.ts";

const REMEMBER_CAP = 3;
const GATED_KINDS = ["completion", "embeddings"] as const;

type Operation =
  | { type: "begin"; id: string; kind: RequestKind; model: string | null; parent: string | null; timeoutMs: number | null }
  | { type: "cancelId"; id: string; reason: CancelReason }
  | { type: "cancelModel"; model: string; kind: RequestKind | undefined }
  | { type: "cancelAll"; reason: CancelReason }
  | { type: "end"; pick: number; failed: boolean; gated: boolean }
  | { type: "release"; pick: number }
  | { type: "drain"; pick: number }
  | { type: "tick"; milliseconds: number };

const idArbitrary = fc.integer({ min: 0, max: 11 }).map((index) => `r${index}`);
const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant("begin" as const),
      id: idArbitrary,
      kind: fc.constantFrom<RequestKind>("completion", "completion", "completion", "embeddings", "custom"),
      model: fc.constantFrom("A", "A", "A", "B", null),
      parent: fc.option(idArbitrary, { nil: null, freq: 2 }),
      timeoutMs: fc.constantFrom(null, null, null, null, null, 0, 15, 40),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("cancelId" as const),
      id: idArbitrary,
      reason: fc.constantFrom<CancelReason>("user", "clientDisconnected"),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("cancelModel" as const),
      model: fc.constantFrom("A", "B"),
      kind: fc.constantFrom<RequestKind | undefined>(undefined, "completion", "embeddings"),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("cancelAll" as const), reason: fc.constantFrom<CancelReason>("modelUnloaded", "shutdown") }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ type: fc.constant("end" as const), pick: fc.nat(), failed: fc.boolean(), gated: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("drain" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("tick" as const), milliseconds: fc.integer({ min: 1, max: 30 }) }) },
);

const policyArbitrary: fc.Arbitrary<ModelPolicy> = fc.record({
  maxConcurrentPerModel: fc.integer({ min: 1, max: 2 }),
  onOverflow: fc.constantFrom<"queue" | "reject">("queue", "reject"),
  maxQueueDepth: fc.integer({ min: 1, max: 3 }),
  queueTimeoutMs: fc.constantFrom(undefined, 25),
});

interface Held {
  token: number;
  context: RequestContext;
  entry: ModelEntry;
  gatedKey: string | null;
}

interface Unwinding {
  held: Held;
  gate: Deferred;
  ending: Promise<void>;
}

type Observed = { status: "pending" } | { status: "context"; context: RequestContext; abortedAtStart: boolean } | { status: "rejected"; error: unknown };

/** Runs one interleaving against the registry and the reference model in lockstep. */
async function runScenario(policies: Record<(typeof GATED_KINDS)[number], ModelPolicy>, operations: Operation[]): Promise<void> {
  const log: LifecycleLogEntry[] = [];
  const registry = new RequestRegistry({
    policies,
    logger: (line) => log.push(line),
    rememberedCancels: { maxEntries: REMEMBER_CAP },
  });
  const model = new RegistryReferenceModel(policies, REMEMBER_CAP, Date.now());
  const observed = new Map<number, Observed>();
  const entriesByToken = new Map<number, ModelEntry>();
  const held: Held[] = [];
  const unwinding: Unwinding[] = [];
  // Independent of the model: who holds a slot, as seen from the outside.
  const slotHolders = new Map<string, Set<number>>();
  const endedStates: { state: string; aborted: boolean; counted: boolean }[] = [];
  let nextToken = 0;
  let cancelCountSum = 0;
  let rejectedSeen = 0;

  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

  const finishEnd = (item: Held) => {
    slotHolders.get(item.gatedKey ?? "")?.delete(item.token);
    model.endFinish(item.entry);
  };

  const startEnd = (item: Held, failed: boolean): Promise<void> => {
    held.splice(held.indexOf(item), 1);
    if (failed) {
      item.context.markFailed();
      item.entry.failed = true;
    }
    const aborted = item.context.signal.aborted;
    const ending = item.context.end();
    const expectedState = model.endStart(item.entry);
    expect(item.context.state).toBe(expectedState);
    // Terminal state matches what happened: cancelled exactly when the request was aborted.
    expect(expectedState === "cancelled").toBe(aborted);
    endedStates.push({ state: expectedState, aborted, counted: item.entry.abortedByCancelCall });
    return ending;
  };

  const compare = () => {
    // Begin outcomes.
    for (const [token, expected] of model.expected) {
      const actual = observed.get(token)!;
      expect(actual.status, `begin #${token}`).toBe(expected.status);
      if (expected.status === "rejected" && actual.status === "rejected") checkRejection(expected, actual.error);
    }
    // Entries, in insertion order, with their visible state.
    expect(registry.snapshot().map((entry) => entry.requestId)).toEqual(model.entries.map((entry) => entry.id));
    for (const entry of model.entries) {
      const context = registry.get(entry.id)!;
      expect({ id: entry.id, state: context.state, cause: context.cancelCause, draining: context.draining, deadline: context.deadline }).toEqual({
        id: entry.id,
        state: entry.state,
        cause: entry.cause,
        draining: entry.draining,
        deadline: entry.deadline,
      });
    }
    expect(registry.laneCount).toBe(model.laneCount);
    expect(registry.childLinkCount).toBe(model.entries.reduce((sum, entry) => sum + entry.children.length, 0));
    expect(registry.pendingTimerCount).toBe(model.timers.length);
    expect(registry.rememberedCancelCount).toBe(model.remembered.items.length);
    expect(registry.cancelledTombstoneCount).toBe(model.tombstones.items.length);
    for (const [key, holders] of slotHolders) {
      const kind = key.split("/")[0] as (typeof GATED_KINDS)[number];
      expect(holders.size).toBeLessThanOrEqual(policies[kind].maxConcurrentPerModel);
    }
  };

  const absorbed = new Set<number>();
  const absorbNewContexts = () => {
    for (const [token, outcome] of observed) {
      if (outcome.status !== "context" || absorbed.has(token)) continue;
      absorbed.add(token);
      const entry = entriesByToken.get(token)!;
      const gatedKey = entry.laneKey !== null && !outcome.abortedAtStart ? entry.laneKey : null;
      if (gatedKey !== null) {
        let holders = slotHolders.get(gatedKey);
        if (holders === undefined) slotHolders.set(gatedKey, (holders = new Set()));
        holders.add(token);
      }
      held.push({ token, context: outcome.context, entry, gatedKey });
    }
  };

  const settle = async () => {
    await flush();
    absorbNewContexts();
    compare();
  };

  const apply = async (operation: Operation) => {
    switch (operation.type) {
      case "begin": {
        const token = nextToken++;
        observed.set(token, { status: "pending" });
        const promise = registry.begin({
          requestId: operation.id,
          kind: operation.kind,
          ...(operation.model === null ? {} : { modelId: operation.model }),
          ...(operation.parent === null ? {} : { parentRequestId: operation.parent }),
          ...(operation.timeoutMs === null ? {} : { timeoutMs: operation.timeoutMs }),
        });
        promise.then(
          (context) => observed.set(token, { status: "context", context, abortedAtStart: context.signal.aborted }),
          (error: unknown) => {
            rejectedSeen += 1;
            observed.set(token, { status: "rejected", error });
          },
        );
        const entry = model.begin(token, operation.id, operation.kind, operation.model, operation.parent, operation.timeoutMs);
        if (entry !== null) entriesByToken.set(token, entry);
        break;
      }
      case "cancelId": {
        const count = registry.cancel({ requestId: operation.id }, operation.reason);
        expect(count).toBe(model.cancelById(operation.id, operation.reason));
        cancelCountSum += count;
        break;
      }
      case "cancelModel": {
        const target = operation.kind === undefined ? { modelId: operation.model } : { modelId: operation.model, kind: operation.kind };
        const count = registry.cancel(target);
        const expected = model.cancelWhere(
          (entry) => entry.model === operation.model && (operation.kind === undefined || entry.kind === operation.kind),
          "user",
        );
        expect(count).toBe(expected);
        cancelCountSum += count;
        break;
      }
      case "cancelAll": {
        const count = registry.cancel({ all: true }, operation.reason);
        expect(count).toBe(model.cancelWhere(() => true, operation.reason));
        cancelCountSum += count;
        break;
      }
      case "end": {
        const item = held[operation.pick % Math.max(1, held.length)];
        if (item === undefined) break;
        if (operation.gated) {
          const gate = deferred();
          item.context.scope.defer(() => gate.promise);
          unwinding.push({ held: item, gate, ending: startEnd(item, operation.failed) });
        } else {
          await startEnd(item, operation.failed);
          finishEnd(item);
        }
        break;
      }
      case "release": {
        const item = unwinding[operation.pick % Math.max(1, unwinding.length)];
        if (item === undefined) break;
        unwinding.splice(unwinding.indexOf(item), 1);
        expect(await isSettled(item.ending)).toBe(false);
        item.gate.resolve();
        await item.ending;
        finishEnd(item.held);
        break;
      }
      case "drain": {
        const item = held[operation.pick % Math.max(1, held.length)];
        if (item === undefined) break;
        item.context.markDraining();
        model.markDraining(item.entry);
        break;
      }
      case "tick": {
        vi.advanceTimersByTime(operation.milliseconds);
        model.advance(operation.milliseconds);
        break;
      }
    }
    await settle();
  };

  for (const operation of operations) await apply(operation);

  // Wind down: finish every cleanup and end every request; queued ones get their slots on the way.
  for (let round = 0; round < 200 && (held.length > 0 || unwinding.length > 0); round += 1) {
    if (unwinding.length > 0) await apply({ type: "release", pick: 0 });
    else await apply({ type: "end", pick: 0, failed: false, gated: false });
  }

  expect(model.entries).toHaveLength(0);
  expect(registry.size).toBe(0);
  expect(registry.laneCount).toBe(0);
  expect(registry.pendingTimerCount).toBe(0);
  expect(registry.childLinkCount).toBe(0);
  expect(registry.rememberedCancelCount).toBeLessThanOrEqual(REMEMBER_CAP);
  expect(await isSettled(registry.whenIdle())).toBe(true);
  for (const outcome of observed.values()) expect(outcome.status).not.toBe("pending");

  // Every request that got a context ended exactly once; rejected ones never began.
  const counters = registry.counters;
  const contexts = [...observed.values()].filter((outcome) => outcome.status === "context").length;
  expect(counters.begun).toBe(contexts);
  expect(counters.ended).toBe(contexts);
  expect(endedStates).toHaveLength(contexts);
  expect(counters.rejected).toBe(rejectedSeen);
  expect(counters.cancelled).toBe(endedStates.filter((ended) => ended.state === "cancelled").length);
  expect(log.filter((line) => line.event === "begin")).toHaveLength(contexts);
  expect(log.filter((line) => line.event === "end")).toHaveLength(contexts);
  expect(log.filter((line) => line.event === "rejected")).toHaveLength(rejectedSeen);
  // Cancel counts add up to the requests that ended cancelled because a cancel() call reached them
  // (not those stopped by a deadline, a remembered cancel, a rejected parent or markDraining).
  expect(cancelCountSum).toBe(endedStates.filter((ended) => ended.state === "cancelled" && ended.counted).length);
}

function checkRejection(expected: Extract<ExpectedBegin, { status: "rejected" }>, error: unknown): void {
  switch (expected.error) {
    case "conflict":
      expect(error).toBeInstanceOf(RequestIdConflictError);
      break;
    case "queuedDeadline":
      expect(error).toBeInstanceOf(RequestTimeoutError);
      expect((error as RequestTimeoutError).phase).toBe("queued");
      break;
    default:
      expect(error).toBeInstanceOf(RequestRejectedByPolicyError);
      expect((error as RequestRejectedByPolicyError).rule).toBe(expected.error);
  }
}

describe("RequestRegistry under random interleavings", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("matches the reference model and keeps its invariants", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ completion: policyArbitrary, embeddings: policyArbitrary }),
        fc.array(operationArbitrary, { minLength: 15, maxLength: 60, size: "max" }),
        async (policies, operations) => {
          vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
          try {
            await runScenario(policies, operations);
          } finally {
            vi.useRealTimers();
          }
        },
      ),
      { numRuns: 200, seed: 20_240_611 },
    );
  }, 60_000);
});
