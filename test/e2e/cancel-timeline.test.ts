import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferenceCancelledError, type ReinClient } from "@rein/sdk";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";

const timelineOp = new URL("../fixtures/timeline-op.ts", import.meta.url);

interface Stages {
  receivedAt: number;
  abortedAt?: number;
  acknowledgedAt?: number;
  nativeStoppedAt?: number;
  finalRepliedAt?: number;
}

describe("the worker's cancel timeline (the bench's per-stage breakdown)", () => {
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient({ opModules: [timelineOp] });
    modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { ctx_size: 2048 } });
  });
  afterAll(() => client.close());

  it("records every stage of a cancel during decode once, in order: acknowledged before the native stop's final reply", async () => {
    for (let round = 0; round < 3; round += 1) {
      const run = client.completion({ modelId, history: history(`Round ${round}: tell me a long story.`), maxTokens: 2000, temperature: 0 });
      let chunks = 0;
      for await (const event of run.events) {
        if (event.type === "contentDelta" && ++chunks === 3) expect(await run.cancel()).toEqual({ cancelled: 1 });
      }
      await expect(run.final).rejects.toBeInstanceOf(InferenceCancelledError);
      const stages = await client.call<Stages | null>("test.cancelStages", { requestId: run.requestId });
      expect(stages).not.toBeNull();
      const { receivedAt, abortedAt, acknowledgedAt, nativeStoppedAt, finalRepliedAt } = stages!;
      for (const stage of [abortedAt, acknowledgedAt, nativeStoppedAt, finalRepliedAt]) expect(stage).toBeTypeOf("number");
      expect(receivedAt).toBeLessThanOrEqual(abortedAt!);
      expect(abortedAt).toBeLessThanOrEqual(acknowledgedAt!);
      expect(abortedAt).toBeLessThanOrEqual(nativeStoppedAt!);
      expect(nativeStoppedAt).toBeLessThanOrEqual(finalRepliedAt!);
      // The ack does not wait for the engine: the stream ends on it while the native step finishes.
      expect(acknowledgedAt).toBeLessThanOrEqual(finalRepliedAt!);
    }
  });

  it("keeps nothing for a request that was never cancelled by id", async () => {
    const run = client.completion({ modelId, history: history("A short answer, please."), maxTokens: 4 });
    await run.final;
    expect(await client.call("test.cancelStages", { requestId: run.requestId })).toBeNull();
  });
});
