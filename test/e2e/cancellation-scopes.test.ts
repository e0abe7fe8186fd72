import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InferenceCancelledError,
  nextHistory,
  RequestTimeoutError,
  type CompletionEvent,
  type ReinClient,
} from "@rein/sdk";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

const endless = { maxTokens: 1_000_000 };

async function collect(events: AsyncIterable<CompletionEvent>): Promise<CompletionEvent[]> {
  const seen: CompletionEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

describe("cancellation beyond the anchors", () => {
  const log = lifecycleLog();
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient({ logger: log.logger });
    modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { parallel: 1 } });
  });
  afterAll(() => client.close());

  it("an already-aborted signal sends nothing: the worker never sees the request", async () => {
    const before = (await client.inspect()).counters.callsReceived;
    const controller = new AbortController();
    const reason = new Error("user left the page");
    controller.abort(reason);
    const run = client.completion({ modelId, history: history(), signal: controller.signal });
    const embedding = client.embed({ modelId, text: "x", signal: controller.signal });
    const load = client.loadModel({ modelSrc: await tinyModel(), signal: controller.signal });
    expect(await collect(run.events)).toEqual([{ type: "completionDone", stopReason: "cancelled", seq: 0 }]);
    for (const pending of [run.text, embedding, load]) {
      const error = (await pending.catch((caught: unknown) => caught)) as InferenceCancelledError;
      expect(error).toBeInstanceOf(InferenceCancelledError);
      expect(error.reason).toBe("abortSignal");
      expect(error.cause).toBe(reason);
    }
    const after = await client.inspect();
    expect(after.counters.callsReceived).toBe(before);
  });

  it("a later abort behaves like cancel({ requestId }) and keeps the signal's reason", async () => {
    const controller = new AbortController();
    const run = client.completion({ modelId, history: history(), ...endless, signal: controller.signal });
    let deltas = 0;
    for await (const event of run.events) {
      if (event.type === "contentDelta" && ++deltas === 5) controller.abort("stop button");
      if (event.type === "completionDone") expect(event.stopReason).toBe("cancelled");
    }
    const error = (await run.text.catch((caught: unknown) => caught)) as InferenceCancelledError;
    expect(error).toBeInstanceOf(InferenceCancelledError);
    expect(error.reason).toBe("abortSignal");
    expect(error.cause).toBe("stop button");
    expect(error.partial.text?.length).toBeGreaterThan(0);
  });

  it("a deadline ends a long completion with stopReason timeout, partial text kept, typed error 52422", async () => {
    const run = client.completion({ modelId, history: history(), ...endless, timeoutMs: 1500 });
    const events = await collect(run.events);
    expect(events.at(-1)).toMatchObject({ type: "completionDone", stopReason: "timeout" });
    const streamed = events.map((event) => (event.type === "contentDelta" ? event.text : "")).join("");
    expect(streamed.length).toBeGreaterThan(0);
    const error = (await run.final.catch((caught: unknown) => caught)) as RequestTimeoutError;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ code: 52422, requestId: run.requestId, phase: "running", timeoutMs: 1500 });
    expect(error.partial.text).toBe(streamed);
    expect((await log.waitFor({ event: "end", requestId: run.requestId })).state).toBe("cancelled");
  });

  it("a queued request whose deadline passes leaves the queue", async () => {
    const running = client.completion({ modelId, history: history(), ...endless });
    const queued = client.completion({ modelId, history: history(), maxTokens: 5, timeoutMs: 200 });
    await log.waitFor({ event: "queued", requestId: queued.requestId });
    const events = await collect(queued.events);
    expect(events).toEqual([{ type: "completionDone", stopReason: "timeout", seq: 0 }]);
    await expect(queued.text).rejects.toMatchObject({ code: 52422, phase: "queued", requestId: queued.requestId });
    expect((await client.inspect()).requests.map((request) => request.requestId)).toEqual([running.requestId]);
    await running.cancel();
    await expect(running.text).rejects.toBeInstanceOf(InferenceCancelledError);
  });

  it("cancelling a parent cancels its children, running and queued, and counts them", async () => {
    const task = client.group();
    const running = client.completion({ modelId, history: history(), ...endless, parent: task });
    const queued = client.completion({ modelId, history: history(), ...endless, parent: task });
    await log.waitFor({ event: "begin", requestId: running.requestId });
    await log.waitFor({ event: "queued", requestId: queued.requestId });
    expect(await task.cancel()).toEqual({ cancelled: 3 });
    for (const child of [running, queued]) {
      const error = (await child.text.catch((caught: unknown) => caught)) as InferenceCancelledError;
      expect(error).toBeInstanceOf(InferenceCancelledError);
      expect(error.reason).toBe("parentCancelled");
    }
    await expect(task.done).rejects.toBeInstanceOf(InferenceCancelledError);
    // A child that begins after its parent was cancelled ends cancelled at once.
    const late = client.completion({ modelId, history: history(), parent: task });
    expect(await collect(late.events)).toEqual([{ type: "completionDone", stopReason: "cancelled", seq: 0 }]);
    expect((await client.inspect()).requests).toEqual([]);
  });

  it("a child's deadline is clamped to its parent's remaining time", async () => {
    await using task = client.group({ timeoutMs: 250 });
    const child = client.completion({ modelId, history: history(), ...endless, timeoutMs: 60_000, parent: task });
    const events = await collect(child.events);
    expect(events.at(-1)).toMatchObject({ type: "completionDone", stopReason: "timeout" });
    await expect(child.text).rejects.toBeInstanceOf(RequestTimeoutError);
    await expect(task.done).rejects.toBeInstanceOf(RequestTimeoutError);
  });

  it("one group for a two-step task: embed a query, then complete on it", async () => {
    await using task = client.group();
    const { vectors } = await client.embed({ modelId, text: "what is a stop button?", parent: task });
    expect(vectors[0]?.length).toBe(128);
    const run = client.completion({ modelId, history: history(`answer near ${vectors[0]![0]!.toFixed(3)}`), ...endless, parent: task });
    await log.waitFor({ event: "begin", requestId: run.requestId });
    expect(await task.cancel()).toEqual({ cancelled: 2 });
    await expect(run.text).rejects.toMatchObject({ reason: "parentCancelled" });
  });

  it("leaving `for await` early cancels the request in the worker and frees its sequence", async () => {
    const run = client.completion({ modelId, history: history(), ...endless });
    for await (const event of run.events) {
      if (event.type === "contentDelta") break;
    }
    expect((await log.waitFor({ event: "end", requestId: run.requestId })).state).toBe("cancelled");
    await expect(run.text).rejects.toBeInstanceOf(InferenceCancelledError);
    // parallel: 1, so the next completion would queue if the sequence were still held.
    const next = client.completion({ modelId, history: history(), maxTokens: 3 });
    await next.final;
    expect(log.of(next.requestId).map((entry) => entry.event)).not.toContain("queued");
  });

  it("`await using` cancels a run still going at scope exit; run.cancel() is idempotent", async () => {
    let requestId = "";
    {
      await using run = client.completion({ modelId, history: history(), ...endless });
      requestId = run.requestId;
      await log.waitFor({ event: "begin", requestId });
    }
    expect((await log.waitFor({ event: "end", requestId })).state).toBe("cancelled");

    const run = client.completion({ modelId, history: history(), ...endless });
    await log.waitFor({ event: "begin", requestId: run.requestId });
    expect(await run.cancel()).toEqual({ cancelled: 1 });
    expect(await run.cancel()).toEqual({ cancelled: 0 });
    await expect(run.text).rejects.toBeInstanceOf(InferenceCancelledError);
    expect(await run.cancel()).toEqual({ cancelled: 0 });
  });

  it("nextHistory drops a cancelled (partial) assistant turn, or keeps it on request", async () => {
    const turn = history("hello");
    const done = client.completion({ modelId, history: turn, maxTokens: 4 });
    const afterDone = await nextHistory(turn, done);
    expect(afterDone).toEqual([...turn, { role: "assistant", content: await done.text }]);

    const stopped = client.completion({ modelId, history: turn, ...endless });
    for await (const event of stopped.events) if (event.type === "contentDelta") break;
    expect(await nextHistory(turn, stopped)).toEqual(turn);
    const kept = await nextHistory(turn, stopped, { keepPartial: true });
    expect(kept).toHaveLength(2);
    expect(kept[1]).toEqual({ role: "assistant", content: stopped.partialText });
  });
});
