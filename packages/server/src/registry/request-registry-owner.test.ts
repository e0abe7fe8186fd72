import { describe, expect, it } from "vitest";
import { RequestRegistry } from "./request-registry.ts";

// Owners are remote connections' API key ids; requests of the local app have none and are visible only unscoped.
describe("RequestRegistry owners", () => {
  it("a scoped cancel by id reaches only its own owner's request and counts 0 for another's", async () => {
    const registry = new RequestRegistry();
    const mine = await registry.begin({ requestId: "mine", kind: "completion", modelId: "m", owner: "alice" });
    const theirs = await registry.begin({ requestId: "theirs", kind: "completion", modelId: "m", owner: "bob" });
    expect(registry.cancel({ requestId: "theirs" }, "user", { owner: "alice" })).toBe(0);
    expect(theirs.signal.aborted).toBe(false);
    expect(registry.cancel({ requestId: "mine" }, "user", { owner: "alice" })).toBe(1);
    expect(mine.signal.aborted).toBe(true);
    // A refused cancel of a live foreign id is not remembered for later either.
    expect(registry.rememberedCancelCount).toBe(0);
    await Promise.all([mine.end(), theirs.end()]);
  });

  it("a scoped broad cancel and snapshot cover only the owner's requests; an unscoped one covers all", async () => {
    const registry = new RequestRegistry();
    const contexts = await Promise.all([
      registry.begin({ requestId: "a1", kind: "completion", modelId: "m", owner: "alice" }),
      registry.begin({ requestId: "a2", kind: "embeddings", modelId: "m", owner: "alice" }),
      registry.begin({ requestId: "b1", kind: "completion", modelId: "m", owner: "bob" }),
      registry.begin({ requestId: "local", kind: "completion", modelId: "m" }),
    ]);
    expect(registry.snapshot({ owner: "alice" }).map((request) => request.requestId)).toEqual(["a1", "a2"]);
    expect(registry.snapshot().map((request) => request.requestId)).toEqual(["a1", "a2", "b1", "local"]);
    expect(registry.cancel({ modelId: "m", kind: "completion" }, "user", { owner: "alice" })).toBe(1);
    expect(registry.cancel({ all: true }, "clientDisconnected", { owner: "alice" })).toBe(1);
    expect(contexts.map((context) => context.signal.aborted)).toEqual([true, true, false, false]);
    expect(registry.cancel({ all: true }, "shutdown")).toBe(2);
    await Promise.all(contexts.map((context) => context.end()));
  });

  it("a remembered cancel applies only to a request of the owner that sent it (or to any, when unscoped)", async () => {
    const registry = new RequestRegistry();
    expect(registry.cancel({ requestId: "early" }, "user", { owner: "bob" })).toBe(0);
    const alices = await registry.begin({ requestId: "early", kind: "completion", modelId: "m", owner: "alice" });
    expect(alices.signal.aborted).toBe(false);
    await alices.end();

    expect(registry.cancel({ requestId: "early-2" }, "user", { owner: "bob" })).toBe(0);
    const bobs = await registry.begin({ requestId: "early-2", kind: "completion", modelId: "m", owner: "bob" });
    expect(bobs.signal.aborted).toBe(true);
    await bobs.end();

    expect(registry.cancel({ requestId: "early-3" }, "shutdown")).toBe(0);
    const anyones = await registry.begin({ requestId: "early-3", kind: "completion", modelId: "m", owner: "alice" });
    expect(anyones.cancelCause).toBe("shutdown");
    await anyones.end();
  });

  it("another owner's request cannot be named as a parent: the child runs unlinked and survives its cancel", async () => {
    const registry = new RequestRegistry();
    const parent = await registry.begin({ requestId: "parent", kind: "completion", modelId: "m", owner: "alice", timeoutMs: 60_000 });
    const foreignChild = await registry.begin({ requestId: "child", kind: "completion", modelId: "m", owner: "bob", parentRequestId: "parent" });
    const ownChild = await registry.begin({ requestId: "own", kind: "completion", modelId: "m", owner: "alice", parentRequestId: "parent" });
    expect(registry.childLinkCount).toBe(1);
    expect(foreignChild.deadline).toBeNull();
    expect(registry.cancel({ requestId: "parent" }, "user", { owner: "alice" })).toBe(2);
    expect(ownChild.cancelCause).toBe("parentCancelled");
    expect(foreignChild.signal.aborted).toBe(false);
    await Promise.all([parent.end(), foreignChild.end(), ownChild.end()]);
  });

  it("a snapshot gives each request's age and its place in the queue", async () => {
    let now = 1_000;
    const registry = new RequestRegistry({ now: () => now, policies: { completion: { maxConcurrentPerModel: 1, onOverflow: "queue" } } });
    const running = await registry.begin({ requestId: "running", kind: "completion", modelId: "m" });
    now += 50;
    const first = registry.begin({ requestId: "first", kind: "completion", modelId: "m" });
    const second = registry.begin({ requestId: "second", kind: "completion", modelId: "m" });
    now += 10;
    expect(registry.snapshot().map(({ requestId, ageMs, queuePosition }) => ({ requestId, ageMs, queuePosition }))).toEqual([
      { requestId: "running", ageMs: 60, queuePosition: null },
      { requestId: "first", ageMs: 10, queuePosition: 1 },
      { requestId: "second", ageMs: 10, queuePosition: 2 },
    ]);
    registry.cancel({ requestId: "first" });
    expect(registry.snapshot().find((request) => request.requestId === "second")?.queuePosition).toBe(1);
    await running.end();
    await (await first).end();
    await (await second).end();
  });
});
