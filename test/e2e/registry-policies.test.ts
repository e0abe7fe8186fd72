import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InferenceCancelledError,
  ModelNotLoadedError,
  oneAtATimePerModel,
  RequestRejectedByPolicyError,
  type CompletionEvent,
  type ReinClient,
} from "@rein/sdk";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

const endless = { maxTokens: 1_000_000 };

describe("registry policies, broad cancel and unload through the real worker", () => {
  const log = lifecycleLog();
  let client: ReinClient;

  beforeAll(async () => {
    client = createTestClient({ logger: log.logger });
    await client.ready();
  });
  afterAll(() => client.close());

  it("two parallel sequences stream at the same time; cancelling one leaves the other's stream intact", async () => {
    const modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { parallel: 2 } });
    const first = client.completion({ modelId, history: history("one"), ...endless });
    const second = client.completion({ modelId, history: history("two"), maxTokens: 400 });
    const secondEvents: CompletionEvent[] = [];
    const secondDone = (async () => {
      for await (const event of second.events) secondEvents.push(event);
    })();
    // Both are running at once: neither was queued.
    const [firstBegin, secondBegin] = await Promise.all([
      log.waitFor({ event: "begin", requestId: first.requestId }),
      log.waitFor({ event: "begin", requestId: second.requestId }),
    ]);
    expect([firstBegin.state, secondBegin.state]).toEqual(["running", "running"]);
    expect(log.of(second.requestId).some((entry) => entry.event === "queued")).toBe(false);
    let firstDeltas = 0;
    for await (const event of first.events) {
      if (event.type === "contentDelta" && ++firstDeltas === 20) await first.cancel();
    }
    await secondDone;
    expect(secondEvents.at(-1)).toMatchObject({ type: "completionDone", stopReason: "length" });
    expect((await second.stats).generatedTokens).toBe(400);
    await expect(first.text).rejects.toBeInstanceOf(InferenceCancelledError);
    await client.unloadModel({ modelId });
  });

  it("beyond `parallel`, completions queue FIFO; cancelling a queued one removes it at once and it never touches the model", async () => {
    const modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { parallel: 1, ctx_size: 1088 } });
    const running = client.completion({ modelId, history: history(), ...endless });
    const queuedA = client.completion({ modelId, history: history(), maxTokens: 5 });
    const queuedB = client.completion({ modelId, history: history(), maxTokens: 5 });
    await log.waitFor({ event: "queued", requestId: queuedA.requestId });
    await log.waitFor({ event: "queued", requestId: queuedB.requestId });
    expect(await client.cancel({ requestId: queuedA.requestId })).toEqual({ cancelled: 1 });
    const events: CompletionEvent[] = [];
    for await (const event of queuedA.events) events.push(event);
    expect(events).toEqual([{ type: "completionDone", stopReason: "cancelled", seq: 0 }]);
    // It left the queue without ever running: no entry of it is in a running state, and it ended cancelled.
    await log.waitFor({ event: "end", requestId: queuedA.requestId });
    const queuedALog = log.of(queuedA.requestId);
    expect(queuedALog.map((entry) => entry.state)).not.toContain("running");
    expect(queuedALog.at(-1)).toMatchObject({ event: "end", state: "cancelled" });
    await running.cancel();
    expect((await queuedB.final).stopReason).toBe("length");
    // FIFO: B began only after the running one ended.
    const order = log.entries.filter((entry) => [running.requestId, queuedB.requestId].includes(entry.requestId));
    const runningEnd = order.findIndex((entry) => entry.requestId === running.requestId && entry.event === "end");
    const queuedBegin = order.findIndex((entry) => entry.requestId === queuedB.requestId && entry.event === "begin");
    expect(runningEnd).toBeGreaterThanOrEqual(0);
    expect(queuedBegin).toBeGreaterThan(runningEnd);
    await client.unloadModel({ modelId });
  });

  it("broad cancel by model, by model and kind, and the legacy forms count what they stopped, queued included", async () => {
    const modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { parallel: 1, ctx_size: 1152 } });
    const start = () => client.completion({ modelId, history: history(), ...endless });
    let runs = [start(), start(), start()];
    await log.waitFor({ event: "queued", requestId: runs[2]!.requestId });
    expect(await client.cancel({ modelId })).toEqual({ cancelled: 3 });
    expect(await client.cancel({ modelId })).toEqual({ cancelled: 0 });
    for (const run of runs) await expect(run.text).rejects.toBeInstanceOf(InferenceCancelledError);

    runs = [start(), start()];
    await log.waitFor({ event: "queued", requestId: runs[1]!.requestId });
    expect(await client.cancel({ modelId, kind: "embeddings" })).toEqual({ cancelled: 0 });
    expect(await client.cancel({ operation: "broad", modelId, kind: "completion" })).toEqual({ cancelled: 2 });

    runs = [start()];
    await log.waitFor({ event: "begin", requestId: runs[0]!.requestId });
    expect(await client.cancel({ operation: "embeddings", modelId })).toEqual({ cancelled: 0 });
    expect(await client.cancel({ operation: "inference", modelId })).toEqual({ cancelled: 1 });
    await expect(runs[0]!.final).rejects.toBeInstanceOf(InferenceCancelledError);

    expect(await client.cancel({ modelId: "never-loaded-model" })).toEqual({ cancelled: 0 });
    await client.unloadModel({ modelId });
  });

  it("unloadModel during a running and a queued completion ends both cancelled and frees the model", async () => {
    const modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { parallel: 1, ctx_size: 1216 } });
    const running = client.completion({ modelId, history: history(), ...endless });
    const queued = client.completion({ modelId, history: history(), ...endless });
    await log.waitFor({ event: "begin", requestId: running.requestId });
    await log.waitFor({ event: "queued", requestId: queued.requestId });
    const result = await client.unloadModel({ modelId });
    expect(result).toEqual({ freed: true, references: 0, cancelled: 2 });
    for (const run of [running, queued]) {
      const error = (await run.text.catch((caught: unknown) => caught)) as InferenceCancelledError;
      expect(error).toBeInstanceOf(InferenceCancelledError);
      expect(error.reason).toBe("modelUnloaded");
    }
    const snapshot = await client.inspect();
    expect(snapshot.models.find((model) => model.modelId === modelId)).toBeUndefined();
    expect(snapshot.requests).toEqual([]);
    await expect(client.completion({ modelId, history: history() }).text).rejects.toBeInstanceOf(ModelNotLoadedError);
  });

  it("oneAtATimePerModel rejects the second completion with 52420 and its fields", async () => {
    await using strict = createTestClient({ policies: { completion: oneAtATimePerModel } });
    const modelId = await strict.loadModel({ modelSrc: await tinyModel(), modelConfig: { parallel: 2 } });
    const first = strict.completion({ modelId, history: history(), ...endless });
    const second = strict.completion({ modelId, history: history(), ...endless });
    const error = (await second.text.catch((caught: unknown) => caught)) as RequestRejectedByPolicyError;
    expect(error).toBeInstanceOf(RequestRejectedByPolicyError);
    expect(error).toMatchObject({ code: 52420, requestId: second.requestId, kind: "completion", modelId, rule: "maxConcurrent" });
    expect(error.reason).toMatch(/already running/);
    // The stream says why it ended: an error done event, then the iteration throws the error.
    const secondEvents: CompletionEvent[] = [];
    const iteration = (async () => {
      for await (const event of second.events) secondEvents.push(event);
    })();
    await expect(iteration).rejects.toBeInstanceOf(RequestRejectedByPolicyError);
    expect(secondEvents.at(-1)).toMatchObject({ type: "completionDone", stopReason: "error", error: { code: 52420 } });
    await first.cancel();
  });

  it("a full queue and a queue timeout reject with 52420 and say which", async () => {
    await using strict = createTestClient({ policies: { completion: { maxQueueDepth: 1, queueTimeoutMs: 200 } } });
    const modelId = await strict.loadModel({ modelSrc: await tinyModel() });
    const running = strict.completion({ modelId, history: history(), ...endless });
    const waiting = strict.completion({ modelId, history: history(), ...endless });
    const overflow = strict.completion({ modelId, history: history(), ...endless });
    await expect(overflow.text).rejects.toMatchObject({ code: 52420, rule: "queueFull" });
    await expect(waiting.text).rejects.toMatchObject({ code: 52420, rule: "queueTimeout" });
    await running.cancel();
  });

  it("a duplicate requestId is rejected with 52417 and the original request is unaffected", async () => {
    const modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { parallel: 1, ctx_size: 1280 } });
    const requestId = "6f1c2f7e-8d4b-4c1a-9f3e-2b7d5a9c0e11";
    const original = client.completion({ modelId, history: history(), maxTokens: 200, requestId });
    const twin = client.completion({ modelId, history: history(), maxTokens: 5, requestId });
    await expect(twin.text).rejects.toMatchObject({ code: 52417, requestId });
    expect((await original.final).stats?.generatedTokens).toBe(200);
    await client.unloadModel({ modelId });
  });
});
