import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, InferenceCancelledError, ModelNotLoadedError, type CompletionEvent, type ReinClient } from "@rein/sdk";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

describe("completion through the real worker", () => {
  const log = lifecycleLog();
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient({ logger: log.logger });
    modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { parallel: 2 } });
  });
  afterAll(() => client.close());

  it("runs to its length limit with events in seq order and final text equal to the deltas", async () => {
    const run = client.completion({ modelId, history: history(), maxTokens: 40 });
    expect(run.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const events: CompletionEvent[] = [];
    for await (const event of run.events) events.push(event);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
    const deltas = events.filter((event) => event.type === "contentDelta");
    expect(deltas.length).toBeGreaterThan(0);
    const done = events.at(-1);
    expect(done).toMatchObject({ type: "completionDone", stopReason: "length" });
    expect(events.at(-2)?.type).toBe("completionStats");
    const final = await run.final;
    expect(final.contentText).toBe(deltas.map((event) => (event.type === "contentDelta" ? event.text : "")).join(""));
    expect(final.stats?.generatedTokens).toBe(40);
    expect(await run.text).toBe(final.contentText);
  });

  it("cancel mid-stream by requestId: events end cancelled, promises reject with the partial text, worker stays usable", async () => {
    const run = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    let streamed = "";
    let cancelResult: Promise<{ cancelled: number }> | undefined;
    const events: CompletionEvent[] = [];
    for await (const event of run.events) {
      events.push(event);
      if (event.type === "contentDelta") {
        streamed += event.text;
        if (events.length === 10) cancelResult = client.cancel({ requestId: run.requestId });
      }
    }
    expect(await cancelResult).toEqual({ cancelled: 1 });
    expect(events.at(-1)).toMatchObject({ type: "completionDone", stopReason: "cancelled" });
    expect(events.filter((event) => event.type === "completionDone")).toHaveLength(1);
    const error = await run.text.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InferenceCancelledError);
    expect(InferenceCancelledError.isInstance(error)).toBe(true);
    const cancelled = error as InferenceCancelledError;
    expect(cancelled.code).toBe(52419);
    expect(cancelled.requestId).toBe(run.requestId);
    expect(cancelled.partial.text).toBe(streamed);
    expect(cancelled.partial.stats?.generatedTokens).toBeGreaterThanOrEqual(10);
    await expect(run.final).rejects.toBeInstanceOf(InferenceCancelledError);
    await expect(run.stats).rejects.toBeInstanceOf(InferenceCancelledError);
    expect((await log.waitFor({ event: "end", requestId: run.requestId })).state).toBe("cancelled");

    const next = client.completion({ modelId, history: history(), maxTokens: 8 });
    expect((await next.final).stopReason).toBe("length");
  });

  it("a cancel in the same tick as completion(), before the worker is even started, sends nothing", async () => {
    await using fresh = createTestClient();
    const freshModel = fresh.loadModel({ modelSrc: await tinyModel() });
    const run = fresh.completion({ modelId: "not-loaded-yet", history: history() });
    const result = await fresh.cancel({ requestId: run.requestId });
    expect(result).toEqual({ cancelled: 1 });
    const events: CompletionEvent[] = [];
    for await (const event of run.events) events.push(event);
    expect(events).toEqual([{ type: "completionDone", stopReason: "cancelled", seq: 0 }]);
    await expect(run.text).rejects.toMatchObject({ code: 52419, requestId: run.requestId, partial: { text: "" } });
    await freshModel;
    // The load was the only call the worker ever received.
    expect((await fresh.inspect()).counters.callsReceived).toBe(1);
  });

  it("a same-tick cancel on a live worker ends the run cancelled; the worker never receives the call", async () => {
    await client.ready();
    const before = (await client.inspect()).counters.callsReceived;
    const run = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    const cancelled = client.cancel({ requestId: run.requestId });
    const events: CompletionEvent[] = [];
    for await (const event of run.events) events.push(event);
    expect(events).toEqual([{ type: "completionDone", stopReason: "cancelled", seq: 0 }]);
    expect(await cancelled).toEqual({ cancelled: 1 });
    const error = (await run.final.catch((caught: unknown) => caught)) as InferenceCancelledError;
    expect(error.partial.text).toBe("");
    expect((await client.inspect()).counters.callsReceived).toBe(before);
  });

  it("a cancel that reaches the worker before its request is remembered and applied when the request arrives", async () => {
    const requestId = "9a1f5c3e-2b7d-4e8f-a6c1-0d3b5e7f9a2c";
    // The client has no such request yet: the cancel goes to the worker, which remembers it (count 0: nothing ran).
    expect(await client.cancel({ requestId })).toEqual({ cancelled: 0 });
    expect((await client.inspect()).rememberedCancels).toBeGreaterThanOrEqual(1);
    const run = client.completion({ modelId, history: history(), maxTokens: 100_000, requestId });
    const events: CompletionEvent[] = [];
    for await (const event of run.events) events.push(event);
    expect(events).toEqual([{ type: "completionDone", stopReason: "cancelled", seq: 0 }]);
    expect(log.of(requestId).map((entry) => entry.state)).not.toContain("running");
    // Used once: the same id runs normally the next time.
    const again = client.completion({ modelId, history: history(), maxTokens: 3, requestId });
    expect((await again.final).stopReason).toBe("length");
  });

  it("cancel of an unknown id resolves 0, and a repeated cancel resolves 0", async () => {
    const unknown = "3b241101-e2bb-4255-8caf-4136c566a962";
    expect(await client.cancel({ requestId: unknown })).toEqual({ cancelled: 0 });
    expect(await client.cancel({ operation: "request", requestId: unknown })).toEqual({ cancelled: 0 });

    const run = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    await log.waitFor({ event: "begin", requestId: run.requestId });
    expect(await client.cancel({ operation: "request", requestId: run.requestId })).toEqual({ cancelled: 1 });
    expect(await client.cancel({ requestId: run.requestId })).toEqual({ cancelled: 0 });
    await expect(run.text).rejects.toBeInstanceOf(InferenceCancelledError);
    expect(await client.cancel({ requestId: run.requestId })).toEqual({ cancelled: 0 });
  });

  it("cancel of a malformed target rejects with InvalidInputError naming the field, and sends nothing", async () => {
    const before = (await client.inspect()).counters.cancelsReceived;
    await expect(client.cancel({ requestId: "not-a-uuid" })).rejects.toMatchObject({ code: 50001, field: "requestId", operation: "cancel" });
    const missing = client.cancel(undefined as never);
    expect(missing).toBeInstanceOf(Promise); // a rejection, never a synchronous throw
    await expect(missing).rejects.toMatchObject({ code: 50001, field: "", message: expect.stringMatching(/\{ requestId \}.*\{ modelId, kind\? \}/) });
    expect((await client.inspect()).counters.cancelsReceived).toBe(before);
  });

  it("a run that fails: events end with completionDone { stopReason: error, error }, then the loop throws the typed error; every reader sees the same", async () => {
    const run = client.completion({ modelId: "never-loaded", history: history(), maxTokens: 4 });
    const seen: CompletionEvent[] = [];
    let thrown: unknown;
    try {
      for await (const event of run.events) seen.push(event);
    } catch (error) {
      thrown = error;
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: "completionDone", stopReason: "error", seq: 0, error: { code: ErrorCode.ModelNotLoaded } });
    expect(ModelNotLoadedError.isInstance(thrown), String(thrown)).toBe(true);
    await expect(run.final).rejects.toBe(thrown);
    // A second loop replays the done event and throws the same error again.
    const replay: CompletionEvent[] = [];
    await expect((async () => {
      for await (const event of run.events) replay.push(event);
    })()).rejects.toBe(thrown);
    expect(replay).toEqual(seen);
    // A loop that stops at the done event ends without the throw (it left after the end: no cancel either).
    let stoppedAt: string | undefined;
    for await (const event of run.events) {
      if (event.type === "completionDone") {
        stoppedAt = event.stopReason;
        break;
      }
    }
    expect(stoppedAt).toBe("error");
  });

  it("two runs on one model: cancelling one leaves the other running to its end", async () => {
    const victim = client.completion({ modelId, history: history("first"), maxTokens: 100_000 });
    const survivor = client.completion({ modelId, history: history("second"), maxTokens: 300 });
    await Promise.all([
      log.waitFor({ event: "begin", requestId: victim.requestId }),
      log.waitFor({ event: "begin", requestId: survivor.requestId }),
    ]);
    expect(await victim.cancel()).toEqual({ cancelled: 1 });
    await expect(victim.text).rejects.toBeInstanceOf(InferenceCancelledError);
    const final = await survivor.final;
    expect(final.stopReason).toBe("length");
    expect(final.stats?.generatedTokens).toBe(300);
  });

  it("leaves the registry empty", async () => {
    const snapshot = await client.inspect();
    expect(snapshot.requests).toEqual([]);
    expect(snapshot.models.map((model) => model.modelId)).toEqual([modelId]);
  });
});
