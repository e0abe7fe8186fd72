import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { lifecycleRecorder } from "./registry-test-support.ts";
import { RequestRegistry } from "./request-registry.ts";

describe("RequestRegistry deadlines", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("aborts a running request with cause timeout when its deadline passes", async () => {
    const recorder = lifecycleRecorder();
    const registry = new RequestRegistry({ logger: recorder.logger });
    const context = await registry.begin({ requestId: "r", kind: "custom", modelId: "m", timeoutMs: 1_000 });
    expect(context.deadline).toBe(Date.now() + 1_000);
    expect(registry.pendingTimerCount).toBe(1);
    vi.advanceTimersByTime(999);
    expect(context.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(context.signal.aborted).toBe(true);
    expect(context.cancelCause).toBe("timeout");
    expect(context.signal.reason).toMatchObject({ name: "ReinCancel", cause: "timeout" });
    expect(context.state).toBe("cancelling");
    expect(registry.pendingTimerCount).toBe(0);
    expect(registry.cancel({ requestId: "r" })).toBe(0);
    await context.end();
    expect(context.state).toBe("cancelled");
    expect(recorder.lines.find((line) => line.event === "cancel")).toMatchObject({ reason: "timeout", durationMs: 1_000 });
  });

  it("clears the deadline timer at end and on cancel", async () => {
    const registry = new RequestRegistry();
    const ended = await registry.begin({ requestId: "a", kind: "custom", timeoutMs: 1_000 });
    const cancelled = await registry.begin({ requestId: "b", kind: "custom", timeoutMs: 1_000 });
    expect(registry.pendingTimerCount).toBe(2);
    await ended.end();
    expect(registry.pendingTimerCount).toBe(1);
    registry.cancel({ requestId: "b" });
    expect(registry.pendingTimerCount).toBe(0);
    vi.advanceTimersByTime(2_000);
    expect(cancelled.cancelCause).toBe("user");
    await cancelled.end();
    expect(ended.signal.aborted).toBe(false);
  });

  it("starts a request already aborted when its timeout is 0 or negative, without a slot or timer", async () => {
    const registry = new RequestRegistry({ policies: { completion: { maxConcurrentPerModel: 1, onOverflow: "reject" } } });
    const holder = await registry.begin({ requestId: "holder", kind: "completion", modelId: "m" });
    const zero = await registry.begin({ requestId: "zero", kind: "completion", modelId: "m", timeoutMs: 0 });
    const negative = await registry.begin({ requestId: "negative", kind: "custom", timeoutMs: -5 });
    expect(zero.cancelCause).toBe("timeout");
    expect(negative.cancelCause).toBe("timeout");
    expect(registry.pendingTimerCount).toBe(0);
    await Promise.all([zero, negative, holder].map((context) => context.end()));
    expect(registry.laneCount).toBe(0);
  });

  it("ignores a non-finite timeout", async () => {
    const registry = new RequestRegistry();
    const context = await registry.begin({ requestId: "r", kind: "custom", timeoutMs: Number.POSITIVE_INFINITY });
    expect(context.deadline).toBeNull();
    expect(registry.pendingTimerCount).toBe(0);
    await context.end();
  });

  it("keeps one deadline across the queue wait and the run", async () => {
    const registry = new RequestRegistry({ policies: { completion: { maxConcurrentPerModel: 1 } } });
    const holder = await registry.begin({ requestId: "holder", kind: "completion", modelId: "m" });
    const waiter = registry.begin({ requestId: "w", kind: "completion", modelId: "m", timeoutMs: 1_000 });
    vi.advanceTimersByTime(600);
    await holder.end();
    const context = await waiter;
    expect(context.signal.aborted).toBe(false);
    vi.advanceTimersByTime(400);
    expect(context.cancelCause).toBe("timeout");
    await context.end();
    expect(registry.pendingTimerCount).toBe(0);
  });
});
