import { describe, expect, it } from "vitest";
import { CancelSignalReason, isCancelSignalReason } from "./cancel-signal-reason.ts";
import { isSettled, lifecycleRecorder } from "./registry-test-support.ts";
import { RequestRegistry } from "./request-registry.ts";

describe("RequestRegistry cancel", () => {
  it("aborts a running request once, with a CancelSignalReason, and keeps it until end()", async () => {
    const recorder = lifecycleRecorder();
    const registry = new RequestRegistry({ logger: recorder.logger });
    const context = await registry.begin({ requestId: "r", kind: "completion", modelId: "m" });
    const seen: unknown[] = [];
    context.signal.addEventListener("abort", () => seen.push(context.signal.reason));
    expect(registry.cancel({ requestId: "r" }, "clientDisconnected")).toBe(1);
    expect(registry.cancel({ requestId: "r" })).toBe(0);
    expect(seen).toHaveLength(1);
    const reason = context.signal.reason as CancelSignalReason;
    expect(reason).toBeInstanceOf(CancelSignalReason);
    expect(isCancelSignalReason(reason)).toBe(true);
    expect(isCancelSignalReason({ name: "ReinCancel", cause: "user" })).toBe(true);
    expect(isCancelSignalReason(new Error("x"))).toBe(false);
    expect(reason).toMatchObject({ name: "ReinCancel", cause: "clientDisconnected", requestId: "r" });
    expect(context.state).toBe("cancelling");
    expect(context.cancelCause).toBe("clientDisconnected");
    expect(registry.get("r")).toBe(context);
    await context.end();
    expect(context.state).toBe("cancelled");
    expect(recorder.events("r")).toEqual(["begin", "cancel", "end"]);
    expect(registry.counters).toEqual({ begun: 1, ended: 1, cancelled: 1, rejected: 0 });
  });

  it("cancel({ workspace }) aborts every request on that workspace, whatever its kind or model, and nothing else", async () => {
    const registry = new RequestRegistry();
    const ingest = await registry.begin({ requestId: "ingest", kind: "rag", modelId: "m", workspace: "notes" });
    const search = await registry.begin({ requestId: "search", kind: "rag", workspace: "notes" });
    const elsewhere = await registry.begin({ requestId: "elsewhere", kind: "rag", modelId: "m", workspace: "other" });
    const completion = await registry.begin({ requestId: "completion", kind: "completion", modelId: "m" });
    expect(ingest.workspace).toBe("notes");
    expect(registry.snapshot().find((entry) => entry.requestId === "search")).toMatchObject({ workspace: "notes" });
    expect(registry.snapshot().find((entry) => entry.requestId === "completion")).not.toHaveProperty("workspace");
    expect(registry.cancel({ workspace: "notes" })).toBe(2);
    expect(registry.cancel({ workspace: "notes" })).toBe(0);
    expect([ingest, search, elsewhere, completion].map((context) => context.signal.aborted)).toEqual([true, true, false, false]);
    // The model's broad cancel still reaches a RAG request filed under it.
    expect(registry.cancel({ modelId: "m" })).toBe(2);
    await Promise.all([ingest, search, elsewhere, completion].map((context) => context.end()));
    expect(registry.size).toBe(0);
  });

  it("remembers a cancel for an unknown id: returns 0, the next begin starts aborted without a slot, once", async () => {
    const recorder = lifecycleRecorder();
    const registry = new RequestRegistry({
      logger: recorder.logger,
      policies: { completion: { maxConcurrentPerModel: 1, onOverflow: "reject" } },
    });
    const holder = await registry.begin({ requestId: "holder", kind: "completion", modelId: "m" });
    expect(registry.cancel({ requestId: "early" }, "user")).toBe(0);
    expect(registry.rememberedCancelCount).toBe(1);
    // Would be rejected (slot taken) if it were admitted normally.
    const early = await registry.begin({ requestId: "early", kind: "completion", modelId: "m", timeoutMs: 10_000 });
    expect(early.signal.aborted).toBe(true);
    expect(early.state).toBe("cancelling");
    expect(early.cancelCause).toBe("user");
    expect(registry.rememberedCancelCount).toBe(0);
    expect(registry.pendingTimerCount).toBe(0);
    expect(recorder.lines.find((line) => line.requestId === "early")).toMatchObject({
      event: "begin",
      state: "cancelling",
      reason: "user before begin",
    });
    await early.end();
    // Single use: a later begin with the same id is not affected.
    await holder.end();
    const again = await registry.begin({ requestId: "early", kind: "completion", modelId: "m" });
    expect(again.signal.aborted).toBe(false);
    await again.end();
    expect(registry.laneCount).toBe(0);
  });

  it("does not remember a late cancel of a request that already ended: a reused id starts normally", async () => {
    const registry = new RequestRegistry();
    const first = await registry.begin({ requestId: "reused", kind: "completion", modelId: "m" });
    await first.end();
    // The Stop click that raced the last token.
    expect(registry.cancel({ requestId: "reused" })).toBe(0);
    expect(registry.rememberedCancelCount).toBe(0);
    const second = await registry.begin({ requestId: "reused", kind: "completion", modelId: "m" });
    expect(second.signal.aborted).toBe(false);
    expect(second.state).toBe("running");
    await second.end();
  });

  it("forgets remembered cancels after their TTL and past their cap, oldest first; re-cancel refreshes", async () => {
    const clock = { now: 0 };
    const registry = new RequestRegistry({ now: () => clock.now, rememberedCancels: { maxEntries: 2, ttlMs: 1_000 } });
    registry.cancel({ requestId: "a" });
    clock.now = 500;
    registry.cancel({ requestId: "b" });
    registry.cancel({ requestId: "a" }); // refresh: a is now younger than b
    registry.cancel({ requestId: "c" }); // evicts b
    expect(registry.rememberedCancelCount).toBe(2);
    const b = await registry.begin({ requestId: "b", kind: "custom" });
    expect(b.signal.aborted).toBe(false);
    await b.end();
    clock.now = 1_499;
    const a = await registry.begin({ requestId: "a", kind: "custom" });
    expect(a.signal.aborted).toBe(true);
    await a.end();
    clock.now = 1_500;
    expect(registry.rememberedCancelCount).toBe(0);
    const c = await registry.begin({ requestId: "c", kind: "custom" });
    expect(c.signal.aborted).toBe(false);
    await c.end();
  });

  it("does not consume a remembered cancel on a conflicting begin", async () => {
    const registry = new RequestRegistry();
    const running = await registry.begin({ requestId: "r", kind: "custom" });
    await running.end();
    registry.cancel({ requestId: "x" });
    const x = await registry.begin({ requestId: "x", kind: "custom" });
    expect(x.signal.aborted).toBe(true);
    registry.cancel({ requestId: "y" });
    const y = await registry.begin({ requestId: "y", kind: "custom" });
    await expect(registry.begin({ requestId: "y", kind: "custom" })).rejects.toThrow();
    await y.end();
    await x.end();
  });

  it("broad cancel by model (optionally kind) reaches running and queued requests, counting each once", async () => {
    const registry = new RequestRegistry({
      policies: { completion: { maxConcurrentPerModel: 1, onOverflow: "queue" } },
    });
    const running = await registry.begin({ requestId: "run", kind: "completion", modelId: "m" });
    const queued = registry.begin({ requestId: "wait", kind: "completion", modelId: "m" });
    const embedding = await registry.begin({ requestId: "embed", kind: "embeddings", modelId: "m" });
    const elsewhere = await registry.begin({ requestId: "other", kind: "completion", modelId: "n" });
    expect(registry.cancel({ modelId: "m", kind: "completion" }, "modelUnloaded")).toBe(2);
    expect(embedding.signal.aborted).toBe(false);
    expect(registry.cancel({ modelId: "m" }, "modelUnloaded")).toBe(1);
    expect(registry.cancel({ modelId: "m" }, "modelUnloaded")).toBe(0);
    expect(registry.cancel({ modelId: "nothing-here" })).toBe(0);
    expect(elsewhere.signal.aborted).toBe(false);
    const waitContext = await queued;
    expect(waitContext.cancelCause).toBe("modelUnloaded");
    expect(running.cancelCause).toBe("modelUnloaded");
    const idle = registry.whenIdle({ modelId: "m" });
    await Promise.all([running.end(), waitContext.end(), embedding.end()]);
    await idle;
    expect(registry.cancel({ all: true }, "shutdown")).toBe(1);
    expect(elsewhere.cancelCause).toBe("shutdown");
    await elsewhere.end();
    expect(registry.cancel({ all: true }, "shutdown")).toBe(0);
    expect(registry.size).toBe(0);
    expect(registry.laneCount).toBe(0);
    // A broad cancel with no match is not remembered.
    expect(registry.rememberedCancelCount).toBe(0);
  });

  it("cancel all reaches queued waiters as a clean cancel, not a policy error", async () => {
    const registry = new RequestRegistry({ policies: { completion: { maxConcurrentPerModel: 1 } } });
    const running = await registry.begin({ requestId: "run", kind: "completion", modelId: "m" });
    const waiters = [1, 2, 3].map((index) => registry.begin({ requestId: `w${index}`, kind: "completion", modelId: "m" }));
    expect(registry.cancel({ all: true }, "shutdown")).toBe(4);
    const contexts = await Promise.all(waiters);
    expect(contexts.every((context) => context.signal.aborted && context.cancelCause === "shutdown")).toBe(true);
    const idle = registry.whenIdle();
    expect(await isSettled(idle)).toBe(false);
    await Promise.all([...contexts, running].map((context) => context.end()));
    await idle;
    expect(registry.laneCount).toBe(0);
  });

  it("rejects a malformed target", () => {
    const registry = new RequestRegistry();
    expect(() => registry.cancel({} as never)).toThrow(TypeError);
    expect(() => registry.cancel(null as never)).toThrow(TypeError);
  });

  it("tolerates abort listeners that end requests during a broad cancel", async () => {
    const registry = new RequestRegistry();
    const contexts = await Promise.all(
      ["a", "b", "c"].map((requestId) => registry.begin({ requestId, kind: "custom", modelId: "m" })),
    );
    const endings: Promise<void>[] = [];
    for (const context of contexts) context.signal.addEventListener("abort", () => endings.push(context.end()));
    expect(registry.cancel({ modelId: "m" })).toBe(3);
    await Promise.all(endings);
    expect(registry.size).toBe(0);
  });
});
