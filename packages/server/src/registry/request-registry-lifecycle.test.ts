import { RequestIdConflictError } from "@rein/protocol";
import { describe, expect, it } from "vitest";
import { deferred, isSettled, lifecycleRecorder } from "./registry-test-support.ts";
import { RequestRegistry } from "./request-registry.ts";

describe("RequestRegistry lifecycle", () => {
  it("begins a running request and ends it completed", async () => {
    const registry = new RequestRegistry();
    const context = await registry.begin({ requestId: "r1", kind: "embeddings", modelId: "m" });
    expect(context).toMatchObject({
      requestId: "r1",
      kind: "embeddings",
      modelId: "m",
      parentRequestId: null,
      state: "running",
      cancelCause: null,
      deadline: null,
      draining: false,
    });
    expect(context.signal.aborted).toBe(false);
    expect(registry.get("r1")).toBe(context);
    expect(registry.size).toBe(1);
    await context.end();
    expect(context.state).toBe("completed");
    expect(registry.get("r1")).toBeUndefined();
    expect(registry.size).toBe(0);
    expect(registry.counters).toEqual({ begun: 1, ended: 1, cancelled: 0, rejected: 0 });
  });

  it("derives the terminal state: explicit, else cancelled if aborted, else failed if marked, else completed", async () => {
    const registry = new RequestRegistry();
    const failed = await registry.begin({ requestId: "failed", kind: "custom" });
    failed.markFailed();
    await failed.end();
    expect(failed.state).toBe("failed");

    const abortedAndFailed = await registry.begin({ requestId: "aborted", kind: "custom" });
    abortedAndFailed.markFailed();
    registry.cancel({ requestId: "aborted" });
    await abortedAndFailed.end();
    expect(abortedAndFailed.state).toBe("cancelled");

    const explicit = await registry.begin({ requestId: "explicit", kind: "custom" });
    registry.cancel({ requestId: "explicit" });
    await explicit.end("failed");
    expect(explicit.state).toBe("failed");

    const disposed = await registry.begin({ requestId: "disposed", kind: "custom" });
    await disposed[Symbol.asyncDispose]();
    expect(disposed.state).toBe("completed");
    expect(registry.counters).toEqual({ begun: 4, ended: 4, cancelled: 1, rejected: 0 });
  });

  it("works with await using", async () => {
    const registry = new RequestRegistry();
    const cleaned: string[] = [];
    {
      await using context = await registry.begin({ requestId: "scoped", kind: "custom" });
      context.scope.defer(() => cleaned.push("cleanup"));
    }
    expect(cleaned).toEqual(["cleanup"]);
    expect(registry.size).toBe(0);
  });

  it("rejects a duplicate id of a running request and leaves the original alone", async () => {
    const registry = new RequestRegistry();
    const original = await registry.begin({ requestId: "dup", kind: "custom", modelId: "m", timeoutMs: 1_000 });
    const timers = registry.pendingTimerCount;
    await expect(registry.begin({ requestId: "dup", kind: "custom", modelId: "m", timeoutMs: 5 })).rejects.toBeInstanceOf(
      RequestIdConflictError,
    );
    expect(registry.get("dup")).toBe(original);
    expect(registry.size).toBe(1);
    expect(registry.pendingTimerCount).toBe(timers);
    expect(registry.counters.rejected).toBe(1);
    await original.end();
    // The id is free again once its request ended.
    const again = await registry.begin({ requestId: "dup", kind: "custom" });
    await again.end();
    expect(registry.pendingTimerCount).toBe(0);
  });

  it("end() is idempotent: concurrent and repeated calls share one promise and one cleanup run", async () => {
    const registry = new RequestRegistry({ policies: { completion: { maxConcurrentPerModel: 1 } } });
    const context = await registry.begin({ requestId: "r", kind: "completion", modelId: "m" });
    let cleanups = 0;
    context.scope.defer(() => (cleanups += 1));
    const first = context.end();
    const second = context.end("failed");
    const third = context[Symbol.asyncDispose]();
    expect(second).toBe(first);
    expect(third).toBe(first);
    await first;
    await context.end();
    expect(cleanups).toBe(1);
    expect(context.state).toBe("completed");
    expect(registry.counters.ended).toBe(1);
    // A double release would have let two requests run on a cap of 1.
    const a = await registry.begin({ requestId: "a", kind: "completion", modelId: "m" });
    const b = registry.begin({ requestId: "b", kind: "completion", modelId: "m" });
    expect(await isSettled(b)).toBe(false);
    await a.end();
    await (await b).end();
    expect(registry.laneCount).toBe(0);
  });

  it("an end() called from inside a cleanup gets the same promise", async () => {
    const registry = new RequestRegistry();
    const context = await registry.begin({ requestId: "r", kind: "custom" });
    let inner: Promise<void> | undefined;
    context.scope.defer(() => {
      inner = context.end();
    });
    const outer = context.end();
    await outer;
    expect(inner).toBe(outer);
  });

  it("removes the entry before unwinding, so a racing cancel counts 0", async () => {
    const registry = new RequestRegistry();
    const context = await registry.begin({ requestId: "r", kind: "custom", modelId: "m" });
    const gate = deferred();
    context.scope.defer(() => gate.promise);
    const ending = context.end();
    expect(registry.get("r")).toBeUndefined();
    expect(registry.cancel({ requestId: "r" })).toBe(0);
    expect(registry.cancel({ modelId: "m" })).toBe(0);
    expect(context.signal.aborted).toBe(false);
    gate.resolve();
    await ending;
    expect(context.state).toBe("completed");
  });

  it("releases the slot only after cleanup finished, even when a cleanup throws", async () => {
    const recorder = lifecycleRecorder();
    const registry = new RequestRegistry({
      policies: { completion: { maxConcurrentPerModel: 1, onOverflow: "queue" } },
      logger: recorder.logger,
    });
    const first = await registry.begin({ requestId: "first", kind: "completion", modelId: "m" });
    const gate = deferred();
    const order: string[] = [];
    first.scope.defer(() => order.push("outer cleanup"));
    first.scope.defer(() => {
      throw new Error("boom");
    });
    first.scope.defer(async () => {
      await gate.promise;
      order.push("native teardown");
    });
    const second = registry.begin({ requestId: "second", kind: "completion", modelId: "m" });
    registry.cancel({ requestId: "first" });
    // Cancelled but not ended: the slot stays taken.
    expect(await isSettled(second)).toBe(false);
    const ending = first.end();
    expect(await isSettled(second)).toBe(false);
    gate.resolve();
    await ending;
    expect(order).toEqual(["native teardown", "outer cleanup"]);
    const secondContext = await second;
    expect(secondContext.state).toBe("running");
    const endLine = recorder.lines.find((line) => line.requestId === "first" && line.event === "end");
    expect(endLine?.state).toBe("cancelled");
    expect(endLine?.reason).toBe("user; cleanup failed: Error: boom");
    await secondContext.end();
  });

  it("soft cancel: markDraining keeps the entry and the slot until end()", async () => {
    const registry = new RequestRegistry({ policies: { completion: { maxConcurrentPerModel: 1 } } });
    const context = await registry.begin({ requestId: "soft", kind: "completion", modelId: "m" });
    expect(registry.cancel({ requestId: "soft" })).toBe(1);
    context.markDraining();
    expect(context.state).toBe("cancelled");
    expect(context.draining).toBe(true);
    expect(registry.snapshot()).toEqual([
      {
        requestId: "soft",
        kind: "completion",
        modelId: "m",
        state: "cancelled",
        parentRequestId: null,
        cancelReason: "user",
        draining: true,
        ageMs: expect.any(Number),
        queuePosition: null,
      },
    ]);
    expect(registry.cancel({ modelId: "m" })).toBe(0);
    const next = registry.begin({ requestId: "next", kind: "completion", modelId: "m" });
    const idle = registry.whenIdle({ modelId: "m" });
    expect(await isSettled(next)).toBe(false);
    expect(await isSettled(idle)).toBe(false);
    await context.end();
    expect(context.state).toBe("cancelled");
    const nextContext = await next;
    await nextContext.end();
    await idle;
  });

  it("markDraining on a request nobody cancelled aborts it (and its children) first", async () => {
    const registry = new RequestRegistry();
    const parent = await registry.begin({ requestId: "p", kind: "custom" });
    const child = await registry.begin({ requestId: "c", kind: "custom", parentRequestId: "p" });
    parent.markDraining();
    expect(parent.signal.aborted).toBe(true);
    expect(parent.cancelCause).toBe("user");
    expect(child.cancelCause).toBe("parentCancelled");
    await child.end();
    await parent.end();
    expect(parent.state).toBe("cancelled");
  });

  it("whenIdle waits for draining requests and for cleanups still running", async () => {
    const registry = new RequestRegistry();
    const onA = await registry.begin({ requestId: "a", kind: "custom", modelId: "A" });
    const onB = await registry.begin({ requestId: "b", kind: "custom", modelId: "B" });
    const gate = deferred();
    onA.scope.defer(() => gate.promise);
    const idleA = registry.whenIdle({ modelId: "A" });
    const idleAll = registry.whenIdle();
    await expect(registry.whenIdle({ modelId: "C" })).resolves.toBeUndefined();
    const endingA = onA.end();
    expect(registry.size).toBe(1);
    expect(await isSettled(idleA)).toBe(false);
    gate.resolve();
    await endingA;
    await idleA;
    expect(await isSettled(idleAll)).toBe(false);
    await onB.end();
    await idleAll;
  });

  it("logs every lifecycle event with id, kind, model, state and duration", async () => {
    const clock = { now: 1_000 };
    const recorder = lifecycleRecorder();
    const registry = new RequestRegistry({
      logger: recorder.logger,
      now: () => clock.now,
      policies: { completion: { maxConcurrentPerModel: 1, onOverflow: "queue" } },
    });
    const running = await registry.begin({ requestId: "run", kind: "completion", modelId: "m" });
    const queued = registry.begin({ requestId: "wait", kind: "completion", modelId: "m" });
    await expect(registry.begin({ requestId: "run", kind: "completion" })).rejects.toThrow();
    clock.now = 1_040;
    registry.cancel({ requestId: "run" });
    registry.cancel({ requestId: "run" });
    await running.end();
    const waiting = await queued;
    clock.now = 1_100;
    await waiting.end();
    expect(recorder.lines).toEqual([
      { event: "begin", requestId: "run", kind: "completion", modelId: "m", state: "running", durationMs: 0 },
      { event: "queued", requestId: "wait", kind: "completion", modelId: "m", state: "queued", durationMs: 0 },
      {
        event: "rejected",
        requestId: "run",
        kind: "completion",
        modelId: null,
        state: "failed",
        durationMs: 0,
        reason: "request id conflict",
      },
      { event: "cancel", requestId: "run", kind: "completion", modelId: "m", state: "cancelling", durationMs: 40, reason: "user" },
      { event: "end", requestId: "run", kind: "completion", modelId: "m", state: "cancelled", durationMs: 40, reason: "user" },
      { event: "begin", requestId: "wait", kind: "completion", modelId: "m", state: "running", durationMs: 40 },
      { event: "end", requestId: "wait", kind: "completion", modelId: "m", state: "completed", durationMs: 100 },
    ]);
  });

  it("survives a throwing logger", async () => {
    const registry = new RequestRegistry({
      logger: () => {
        throw new Error("logger down");
      },
    });
    const context = await registry.begin({ requestId: "r", kind: "custom" });
    expect(registry.cancel({ requestId: "r" })).toBe(1);
    await context.end();
    expect(registry.size).toBe(0);
  });

  it("applies setPolicy to later begins and can remove a policy", async () => {
    const registry = new RequestRegistry();
    registry.setPolicy("embeddings", { maxConcurrentPerModel: 1, onOverflow: "reject" });
    const first = await registry.begin({ requestId: "1", kind: "embeddings", modelId: "m" });
    await expect(registry.begin({ requestId: "2", kind: "embeddings", modelId: "m" })).rejects.toThrow(/already running/);
    registry.setPolicy("embeddings", undefined);
    const third = await registry.begin({ requestId: "3", kind: "embeddings", modelId: "m" });
    await third.end();
    await first.end();
    expect(registry.laneCount).toBe(0);
  });
});
