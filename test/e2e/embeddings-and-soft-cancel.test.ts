import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferenceCancelledError, type ReinClient } from "@rein/sdk";
import { createTestClient, tinyModel } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

const testOps = new URL("../fixtures/test-ops.ts", import.meta.url);

describe("embeddings and soft cancel through the real worker", () => {
  const log = lifecycleLog();
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient({ logger: log.logger, opModules: [testOps] });
    modelId = await client.loadModel({ modelSrc: await tinyModel() });
  });
  afterAll(() => client.close());

  it("the same text gives the same vector; a batch gives one vector per text", async () => {
    const single = client.embed({ modelId, text: "cancellation is a feature" });
    expect(single.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const first = await single;
    const second = await client.embed({ modelId, text: "cancellation is a feature" });
    expect(first.dimension).toBe(128);
    expect(first.vectors).toHaveLength(1);
    expect(second.vectors[0]).toEqual(first.vectors[0]);
    const batch = await client.embed({ modelId, texts: ["cancellation is a feature", "something else"] });
    expect(batch.vectors).toHaveLength(2);
    expect(batch.vectors[0]).toEqual(first.vectors[0]);
    expect(batch.vectors[1]).not.toEqual(first.vectors[0]);
  });

  it("a batch cancelled part-way rejects with 52419 and computes no further item", async () => {
    const texts = Array.from({ length: 9_000 }, (_, index) => `text number ${index} of a very large batch`);
    const before = (await client.inspect()).metrics["embed.textsEmbedded"] ?? 0;
    let cancelAt: Promise<{ cancelled: number }> | undefined;
    const batch = client.embed({
      modelId,
      texts,
      onProgress: (progress) => {
        if (progress.loaded >= 10) cancelAt ??= client.cancel({ requestId: batch.requestId });
      },
    });
    const error = await batch.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InferenceCancelledError);
    expect(error).toMatchObject({ code: 52419, requestId: batch.requestId });
    expect(await cancelAt).toEqual({ cancelled: 1 });
    // Wait for the worker to really finish (soft cancel: the item in flight completes), then count.
    expect((await log.waitFor({ event: "end", requestId: batch.requestId })).state).toBe("cancelled");
    const computed = ((await client.inspect()).metrics["embed.textsEmbedded"] ?? 0) - before;
    const afterEnd = ((await client.inspect()).metrics["embed.textsEmbedded"] ?? 0) - before;
    expect(computed).toBeGreaterThanOrEqual(10);
    expect(computed).toBeLessThan(texts.length);
    expect(afterEnd).toBe(computed);
  });

  it("broad cancel by model and kind reaches embeddings", async () => {
    const texts = Array.from({ length: 9_000 }, (_, index) => `another text ${index}`);
    const batch = client.embed({ modelId, texts });
    await log.waitFor({ event: "begin", requestId: batch.requestId });
    expect(await client.cancel({ modelId, kind: "embeddings" })).toEqual({ cancelled: 1 });
    await expect(batch).rejects.toBeInstanceOf(InferenceCancelledError);
  });

  it("soft op: cancel answers at once while the native work runs; the late result is dropped; the next call waits for it", async () => {
    const discardedBefore = await client.call<number>("test.discardedCount", {});
    const slow = client.call<{ key: string }>("test.slowHash", { modelId, iterations: 600_000 }, { modelId });
    await log.waitFor({ event: "begin", requestId: slow.requestId });
    expect(await slow.cancel()).toEqual({ cancelled: 1 });
    await expect(slow).rejects.toMatchObject({ code: 52419, requestId: slow.requestId });

    // Answered while the native hash is still running: the registry shows it cancelled and draining.
    const snapshot = await client.inspect();
    expect(snapshot.metrics["test.slowHash.finished"] ?? 0).toBe(0);
    expect(snapshot.requests).toEqual([expect.objectContaining({ requestId: slow.requestId, state: "cancelled", draining: true })]);

    // The next call on the same model must not overlap the first's native work.
    const next = client.call<{ key: string }>("test.slowHash", { modelId, iterations: 1_000 }, { modelId });
    expect((await next).key).toMatch(/^[0-9a-f]{64}$/);
    const entries = log.entries.filter((entry) => entry.requestId === slow.requestId || entry.requestId === next.requestId);
    const slowEnded = entries.findIndex((entry) => entry.requestId === slow.requestId && entry.event === "end");
    const nextBegan = entries.findIndex((entry) => entry.requestId === next.requestId && entry.event === "begin");
    expect(slowEnded).toBeGreaterThanOrEqual(0);
    expect(nextBegan).toBeGreaterThan(slowEnded);
    expect(log.of(next.requestId).map((entry) => entry.event)).toContain("queued");
    expect(await client.call<number>("test.discardedCount", {})).toBe(discardedBefore + 1);
    expect((await client.inspect()).requests).toEqual([]);
  });
});
