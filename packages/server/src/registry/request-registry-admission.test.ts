import { RequestIdConflictError, RequestRejectedByPolicyError, RequestTimeoutError } from "@rein/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { oneAtATimePerModel } from "./concurrency-policy.ts";
import { isSettled, lifecycleRecorder } from "./registry-test-support.ts";
import { RequestRegistry } from "./request-registry.ts";

function queueingRegistry(policy: { maxConcurrentPerModel?: number; maxQueueDepth?: number; queueTimeoutMs?: number } = {}) {
  const recorder = lifecycleRecorder();
  const registry = new RequestRegistry({
    logger: recorder.logger,
    policies: { completion: { maxConcurrentPerModel: 1, onOverflow: "queue", ...policy } },
  });
  return { registry, recorder };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describe("RequestRegistry admission", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("does not gate requests without a model, without a policy, or with an unlimited policy", async () => {
    const registry = new RequestRegistry({ policies: { completion: oneAtATimePerModel, embeddings: {} } });
    const contexts = await Promise.all([
      registry.begin({ requestId: "a", kind: "completion" }),
      registry.begin({ requestId: "b", kind: "completion" }),
      registry.begin({ requestId: "c", kind: "downloadAsset", modelId: "m" }),
      registry.begin({ requestId: "d", kind: "downloadAsset", modelId: "m" }),
      registry.begin({ requestId: "e", kind: "embeddings", modelId: "m" }),
      registry.begin({ requestId: "f", kind: "embeddings", modelId: "m" }),
    ]);
    expect(registry.laneCount).toBe(0);
    await Promise.all(contexts.map((context) => context.end()));
  });

  it("rejects an overflow under oneAtATimePerModel and leaves nothing behind", async () => {
    const registry = new RequestRegistry({ policies: { completion: oneAtATimePerModel } });
    const first = await registry.begin({ requestId: "first", kind: "completion", modelId: "m" });
    const error = await rejection(registry.begin({ requestId: "second", kind: "completion", modelId: "m", timeoutMs: 1_000 }));
    expect(error).toBeInstanceOf(RequestRejectedByPolicyError);
    expect(error).toMatchObject({
      requestId: "second",
      kind: "completion",
      modelId: "m",
      rule: "maxConcurrent",
      reason: "another completion request is already running on this model",
    });
    expect(registry.size).toBe(1);
    expect(registry.pendingTimerCount).toBe(0);
    expect(registry.counters.rejected).toBe(1);
    // Other models and other kinds have their own lanes.
    const other = await registry.begin({ requestId: "other", kind: "completion", modelId: "n" });
    expect(registry.laneCount).toBe(2);
    await other.end();
    await first.end();
    expect(registry.laneCount).toBe(0);
  });

  it("runs up to the cap, then queues FIFO and hands each released slot to the oldest waiter", async () => {
    const { registry, recorder } = queueingRegistry({ maxConcurrentPerModel: 2 });
    const a = await registry.begin({ requestId: "a", kind: "completion", modelId: "m" });
    const b = await registry.begin({ requestId: "b", kind: "completion", modelId: "m" });
    const c = registry.begin({ requestId: "c", kind: "completion", modelId: "m" });
    const d = registry.begin({ requestId: "d", kind: "completion", modelId: "m" });
    const e = registry.begin({ requestId: "e", kind: "completion", modelId: "m" });
    expect(registry.get("c")?.state).toBe("queued");
    expect(registry.snapshot().map((entry) => entry.state)).toEqual(["running", "running", "queued", "queued", "queued"]);
    expect(recorder.events("c")).toEqual(["queued"]);

    await b.end();
    const cContext = await c;
    expect(cContext.state).toBe("running");
    expect(await isSettled(d)).toBe(false);
    await a.end();
    const dContext = await d;
    expect(await isSettled(e)).toBe(false);
    await cContext.end();
    const eContext = await e;
    const begins = recorder.lines.filter((line) => line.event === "begin").map((line) => line.requestId);
    expect(begins).toEqual(["a", "b", "c", "d", "e"]);
    await dContext.end();
    await eContext.end();
    expect(registry.laneCount).toBe(0);
  });

  it("does not let a newcomer take a freed slot ahead of the queue", async () => {
    const { registry } = queueingRegistry();
    const first = await registry.begin({ requestId: "first", kind: "completion", modelId: "m" });
    const waiter = registry.begin({ requestId: "waiter", kind: "completion", modelId: "m" });
    await first.end();
    const newcomer = registry.begin({ requestId: "newcomer", kind: "completion", modelId: "m" });
    expect((await waiter).state).toBe("running");
    expect(registry.get("newcomer")?.state).toBe("queued");
    await (await waiter).end();
    await (await newcomer).end();
  });

  it("rejects past maxQueueDepth with rule queueFull", async () => {
    const { registry } = queueingRegistry({ maxQueueDepth: 2 });
    const running = await registry.begin({ requestId: "running", kind: "completion", modelId: "m" });
    const queued = [
      registry.begin({ requestId: "q1", kind: "completion", modelId: "m" }),
      registry.begin({ requestId: "q2", kind: "completion", modelId: "m" }),
    ];
    const error = await rejection(registry.begin({ requestId: "q3", kind: "completion", modelId: "m" }));
    expect(error).toBeInstanceOf(RequestRejectedByPolicyError);
    expect(error).toMatchObject({ rule: "queueFull" });
    expect((error as RequestRejectedByPolicyError).reason).toContain("2 waiting");
    expect(registry.get("q3")).toBeUndefined();
    expect(registry.size).toBe(3);
    await running.end();
    await (await queued[0]!).end();
    await (await queued[1]!).end();
  });

  it("uses a default queue depth of 64", async () => {
    const { registry } = queueingRegistry();
    const running = await registry.begin({ requestId: "running", kind: "completion", modelId: "m" });
    const waiters = Array.from({ length: 64 }, (_, index) =>
      registry.begin({ requestId: `w${index}`, kind: "completion", modelId: "m" }),
    );
    await expect(registry.begin({ requestId: "w64", kind: "completion", modelId: "m" })).rejects.toMatchObject({
      rule: "queueFull",
    });
    expect(registry.cancel({ modelId: "m" })).toBe(65);
    await running.end();
    for (const waiter of waiters) await (await waiter).end();
    expect(registry.laneCount).toBe(0);
  });

  it("rejects a waiter after queueTimeoutMs with rule queueTimeout and clears everything", async () => {
    vi.useFakeTimers();
    const { registry, recorder } = queueingRegistry({ queueTimeoutMs: 500 });
    const running = await registry.begin({ requestId: "running", kind: "completion", modelId: "m" });
    const waiter = registry.begin({ requestId: "waiter", kind: "completion", modelId: "m" });
    const settled = rejection(waiter);
    expect(registry.pendingTimerCount).toBe(1);
    vi.advanceTimersByTime(499);
    expect(await isSettled(waiter)).toBe(false);
    vi.advanceTimersByTime(1);
    const error = await settled;
    expect(error).toBeInstanceOf(RequestRejectedByPolicyError);
    expect(error).toMatchObject({ rule: "queueTimeout", requestId: "waiter", modelId: "m" });
    expect((error as RequestRejectedByPolicyError).reason).toContain("500 ms");
    expect(registry.get("waiter")).toBeUndefined();
    expect(registry.pendingTimerCount).toBe(0);
    expect(recorder.events("waiter")).toEqual(["queued", "rejected"]);
    expect(registry.counters).toMatchObject({ begun: 1, rejected: 1 });
    await running.end();
    expect(registry.laneCount).toBe(0);
  });

  it("clears the queue timer of a waiter that got its slot", async () => {
    vi.useFakeTimers();
    const { registry } = queueingRegistry({ queueTimeoutMs: 500 });
    const running = await registry.begin({ requestId: "running", kind: "completion", modelId: "m" });
    const waiter = registry.begin({ requestId: "waiter", kind: "completion", modelId: "m" });
    await running.end();
    const context = await waiter;
    expect(registry.pendingTimerCount).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(context.signal.aborted).toBe(false);
    await context.end();
  });

  it("rejects a waiter whose deadline passes in the queue with RequestTimeoutError phase queued", async () => {
    vi.useFakeTimers();
    const { registry } = queueingRegistry();
    const running = await registry.begin({ requestId: "running", kind: "completion", modelId: "m" });
    const waiter = rejection(registry.begin({ requestId: "waiter", kind: "completion", modelId: "m", timeoutMs: 300 }));
    vi.advanceTimersByTime(300);
    const error = await waiter;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ requestId: "waiter", phase: "queued", timeoutMs: 300 });
    expect(registry.size).toBe(1);
    expect(registry.pendingTimerCount).toBe(0);
    await running.end();
    expect(registry.laneCount).toBe(0);
  });

  it("cancels a queued waiter at once: counted, out of the queue, begin resolves already aborted without a slot", async () => {
    const { registry, recorder } = queueingRegistry();
    const running = await registry.begin({ requestId: "running", kind: "completion", modelId: "m" });
    const cancelled = registry.begin({ requestId: "cancelled", kind: "completion", modelId: "m" });
    const behind = registry.begin({ requestId: "behind", kind: "completion", modelId: "m" });
    expect(registry.cancel({ requestId: "cancelled" })).toBe(1);
    expect(registry.cancel({ requestId: "cancelled" })).toBe(0);
    const context = await cancelled;
    expect(context.signal.aborted).toBe(true);
    expect(context.state).toBe("cancelling");
    expect(context.cancelCause).toBe("user");
    expect(recorder.events("cancelled")).toEqual(["queued", "cancel", "begin"]);
    // Ending it releases nothing: the running request keeps the only slot.
    await context.end();
    expect(context.state).toBe("cancelled");
    expect(await isSettled(behind)).toBe(false);
    await running.end();
    const behindContext = await behind;
    expect(behindContext.state).toBe("running");
    await behindContext.end();
    expect(registry.laneCount).toBe(0);
  });

  it("rejects a duplicate id while the original is queued and leaves the original queued", async () => {
    const { registry } = queueingRegistry();
    const running = await registry.begin({ requestId: "running", kind: "completion", modelId: "m" });
    const original = registry.begin({ requestId: "dup", kind: "completion", modelId: "m" });
    await expect(registry.begin({ requestId: "dup", kind: "completion", modelId: "m" })).rejects.toBeInstanceOf(
      RequestIdConflictError,
    );
    expect(registry.get("dup")?.state).toBe("queued");
    expect(registry.size).toBe(2);
    await running.end();
    const context = await original;
    expect(context.state).toBe("running");
    await context.end();
  });

  it("gates on a per-request maxConcurrent cap that tightens the policy, even for a kind without a policy", async () => {
    const registry = new RequestRegistry({ policies: { completion: { onOverflow: "reject" }, embeddings: oneAtATimePerModel } });
    const a = await registry.begin({ requestId: "a", kind: "completion", modelId: "m", maxConcurrent: 2 });
    const b = await registry.begin({ requestId: "b", kind: "completion", modelId: "m", maxConcurrent: 2 });
    await expect(registry.begin({ requestId: "c", kind: "completion", modelId: "m", maxConcurrent: 2 })).rejects.toMatchObject({
      rule: "maxConcurrent",
    });
    // The cap never loosens an explicit policy: one at a time stays one at a time.
    const e = await registry.begin({ requestId: "e", kind: "embeddings", modelId: "m", maxConcurrent: 4 });
    await expect(registry.begin({ requestId: "f", kind: "embeddings", modelId: "m", maxConcurrent: 4 })).rejects.toMatchObject({
      rule: "maxConcurrent",
    });
    await e.end();
    const x = await registry.begin({ requestId: "x", kind: "custom", modelId: "m", maxConcurrent: 1 });
    const y = registry.begin({ requestId: "y", kind: "custom", modelId: "m", maxConcurrent: 1 });
    expect(registry.get("y")?.state).toBe("queued");
    await x.end();
    await (await y).end();
    await a.end();
    await b.end();
    expect(registry.laneCount).toBe(0);
  });

  it("ending a request that is still queued cancels it out of the queue", async () => {
    const { registry } = queueingRegistry();
    const running = await registry.begin({ requestId: "running", kind: "completion", modelId: "m" });
    const waiter = registry.begin({ requestId: "waiter", kind: "completion", modelId: "m" });
    await registry.get("waiter")?.end();
    const context = await waiter;
    expect(context.state).toBe("cancelled");
    expect(context.signal.aborted).toBe(true);
    expect(registry.size).toBe(1);
    await running.end();
    expect(registry.laneCount).toBe(0);
  });
});
