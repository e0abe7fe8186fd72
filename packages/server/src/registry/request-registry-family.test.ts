import { afterEach, describe, expect, it, vi } from "vitest";
import { RequestRegistry } from "./request-registry.ts";

describe("RequestRegistry parent and child requests", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("cascades a parent cancel to every descendant and counts each newly aborted one", async () => {
    const registry = new RequestRegistry({ policies: { completion: { maxConcurrentPerModel: 1 } } });
    const parent = await registry.begin({ requestId: "p", kind: "custom" });
    const child = await registry.begin({ requestId: "c", kind: "completion", modelId: "m", parentRequestId: "p" });
    const grandchild = await registry.begin({ requestId: "g", kind: "custom", parentRequestId: "c" });
    const queuedChild = registry.begin({ requestId: "q", kind: "completion", modelId: "m", parentRequestId: "p" });
    const unrelated = await registry.begin({ requestId: "u", kind: "custom" });
    expect(child.parentRequestId).toBe("p");
    // Already-aborted descendants do not count again.
    expect(registry.cancel({ requestId: "g" })).toBe(1);
    expect(registry.cancel({ requestId: "p" })).toBe(3);
    expect(registry.cancel({ requestId: "p" })).toBe(0);
    expect(parent.cancelCause).toBe("user");
    expect(child.cancelCause).toBe("parentCancelled");
    expect(grandchild.cancelCause).toBe("user");
    const queuedContext = await queuedChild;
    expect(queuedContext.cancelCause).toBe("parentCancelled");
    expect(unrelated.signal.aborted).toBe(false);
    await Promise.all([parent, child, grandchild, queuedContext, unrelated].map((context) => context.end()));
    expect(registry.laneCount).toBe(0);
  });

  it("cascades a broad cancel to children on other models, counting each once", async () => {
    const registry = new RequestRegistry();
    const parent = await registry.begin({ requestId: "p", kind: "completion", modelId: "m" });
    const child = await registry.begin({ requestId: "c", kind: "embeddings", modelId: "n", parentRequestId: "p" });
    const sibling = await registry.begin({ requestId: "s", kind: "embeddings", modelId: "m", parentRequestId: "p" });
    expect(registry.cancel({ modelId: "m" })).toBe(3);
    expect(child.cancelCause).toBe("parentCancelled");
    await Promise.all([parent, child, sibling].map((context) => context.end()));
  });

  it("does not cascade from a child to its parent", async () => {
    const registry = new RequestRegistry();
    const parent = await registry.begin({ requestId: "p", kind: "custom" });
    const child = await registry.begin({ requestId: "c", kind: "custom", parentRequestId: "p" });
    expect(registry.cancel({ requestId: "c" })).toBe(1);
    expect(parent.signal.aborted).toBe(false);
    await child.end();
    await parent.end();
  });

  it("starts a child already aborted when its parent is aborted or ended cancelled recently", async () => {
    const clock = { now: 0 };
    const registry = new RequestRegistry({ now: () => clock.now, rememberedCancels: { ttlMs: 1_000 } });
    const parent = await registry.begin({ requestId: "p", kind: "custom" });
    registry.cancel({ requestId: "p" });
    const lateChild = await registry.begin({ requestId: "c1", kind: "custom", parentRequestId: "p" });
    expect(lateChild.cancelCause).toBe("parentCancelled");
    await lateChild.end();
    await parent.end();
    expect(registry.cancelledTombstoneCount).toBeGreaterThan(0);
    const orphan = await registry.begin({ requestId: "c2", kind: "custom", parentRequestId: "p" });
    expect(orphan.cancelCause).toBe("parentCancelled");
    expect(orphan.parentRequestId).toBe("p");
    await orphan.end();
    clock.now = 1_000;
    const muchLater = await registry.begin({ requestId: "c3", kind: "custom", parentRequestId: "p" });
    expect(muchLater.signal.aborted).toBe(false);
    await muchLater.end();
  });

  it("ignores an unknown parent and a parent that completed", async () => {
    const registry = new RequestRegistry();
    const unknownParent = await registry.begin({ requestId: "c", kind: "custom", parentRequestId: "nobody" });
    expect(unknownParent.signal.aborted).toBe(false);
    expect(unknownParent.parentRequestId).toBe("nobody");
    await unknownParent.end();
    const parent = await registry.begin({ requestId: "p", kind: "custom" });
    await parent.end();
    const child = await registry.begin({ requestId: "c2", kind: "custom", parentRequestId: "p" });
    expect(child.signal.aborted).toBe(false);
    await child.end();
  });

  it("unlinks children at end so an ended parent neither cascades nor retains them", async () => {
    const registry = new RequestRegistry();
    const parent = await registry.begin({ requestId: "p", kind: "custom" });
    const child = await registry.begin({ requestId: "c", kind: "custom", parentRequestId: "p" });
    expect(registry.childLinkCount).toBe(1);
    await parent.end();
    expect(registry.childLinkCount).toBe(0);
    const other = await registry.begin({ requestId: "p", kind: "custom" });
    // A new request reusing the parent's id is not the child's parent.
    expect(registry.cancel({ requestId: "p" })).toBe(1);
    expect(child.signal.aborted).toBe(false);
    await other.end();
    // And an ended child is gone from its parent's family.
    const parent2 = await registry.begin({ requestId: "p2", kind: "custom" });
    for (let index = 0; index < 100; index += 1) {
      const shortLived = await registry.begin({ requestId: `short${index}`, kind: "custom", parentRequestId: "p2" });
      await shortLived.end();
    }
    const child2 = await registry.begin({ requestId: "c2", kind: "custom", parentRequestId: "p2" });
    expect(registry.childLinkCount).toBe(1);
    await child2.end();
    expect(registry.childLinkCount).toBe(0);
    expect(registry.cancel({ requestId: "p2" })).toBe(1);
    await parent2.end();
    await child.end();
    expect(registry.size).toBe(0);
  });

  it("clamps a child's deadline to its parent's", async () => {
    vi.useFakeTimers();
    const clock = { now: 10_000 };
    const registry = new RequestRegistry({ now: () => clock.now });
    const parent = await registry.begin({ requestId: "p", kind: "custom", timeoutMs: 1_000 });
    const longer = await registry.begin({ requestId: "c1", kind: "custom", parentRequestId: "p", timeoutMs: 5_000 });
    const shorter = await registry.begin({ requestId: "c2", kind: "custom", parentRequestId: "p", timeoutMs: 200 });
    const none = await registry.begin({ requestId: "c3", kind: "custom", parentRequestId: "p" });
    expect(parent.deadline).toBe(11_000);
    expect(longer.deadline).toBe(11_000);
    expect(shorter.deadline).toBe(10_200);
    expect(none.deadline).toBe(11_000);
    await Promise.all([parent, longer, shorter, none].map((context) => context.end()));
    expect(registry.pendingTimerCount).toBe(0);
  });

  it("times out the children (clamped to the same deadline) when the parent's deadline passes", async () => {
    vi.useFakeTimers();
    const registry = new RequestRegistry();
    const parent = await registry.begin({ requestId: "p", kind: "custom", timeoutMs: 100 });
    const child = await registry.begin({ requestId: "c", kind: "custom", parentRequestId: "p" });
    vi.advanceTimersByTime(100);
    expect(parent.cancelCause).toBe("timeout");
    expect(child.cancelCause).toBe("timeout");
    // A child that begins after its parent timed out has timed out as well.
    const late = await registry.begin({ requestId: "late", kind: "custom", parentRequestId: "p" });
    expect(late.cancelCause).toBe("timeout");
    await late.end();
    await child.end();
    await parent.end();
    expect(registry.pendingTimerCount).toBe(0);
  });

  it("aborts the children of a queued parent that is rejected, and later children too", async () => {
    vi.useFakeTimers();
    const registry = new RequestRegistry({ policies: { completion: { maxConcurrentPerModel: 1, queueTimeoutMs: 50 } } });
    const holder = await registry.begin({ requestId: "holder", kind: "completion", modelId: "m" });
    const parent = registry.begin({ requestId: "p", kind: "completion", modelId: "m" });
    const parentOutcome = parent.catch((error: unknown) => error);
    const child = await registry.begin({ requestId: "c", kind: "custom", parentRequestId: "p" });
    vi.advanceTimersByTime(50);
    expect(await parentOutcome).toMatchObject({ rule: "queueTimeout" });
    expect(child.cancelCause).toBe("parentCancelled");
    const late = await registry.begin({ requestId: "c2", kind: "custom", parentRequestId: "p" });
    expect(late.cancelCause).toBe("parentCancelled");
    await Promise.all([child, late, holder].map((context) => context.end()));
    expect(registry.size).toBe(0);
    expect(registry.laneCount).toBe(0);
  });
});
