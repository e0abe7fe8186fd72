import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError, type ReinClient } from "@rein/sdk";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";

const timelineOp = new URL("../fixtures/timeline-op.ts", import.meta.url);

interface Stages {
  receivedAt: number;
  startedAt?: number;
  generatingAt?: number;
  firstTextAt?: number;
  firstSentAt?: number;
}

describe("the worker's first-token timeline (the streaming bench's TTFT breakdown)", () => {
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient({ opModules: [timelineOp] });
    modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { ctx_size: 2048, parallel: 2 } });
  });
  afterAll(() => client.close());

  it("records each stage of a streamed completion once, in order, for two requests at once", async () => {
    const runs = [0, 1].map((lane) => client.completion({ modelId, history: history(`Lane ${lane}: tell me a story.`), maxTokens: 24, temperature: 0.8, seed: lane }));
    const texts = await Promise.all(runs.map((run) => run.text));
    for (const [index, run] of runs.entries()) {
      expect(texts[index]!.length).toBeGreaterThan(0);
      const stages = await client.call<Stages | null>("test.firstTokenStages", { requestId: run.requestId });
      expect(stages).not.toBeNull();
      const { receivedAt, startedAt, generatingAt, firstTextAt, firstSentAt } = stages!;
      for (const stage of [startedAt, generatingAt, firstTextAt, firstSentAt]) expect(stage).toBeTypeOf("number");
      expect(receivedAt).toBeLessThanOrEqual(startedAt!);
      expect(startedAt).toBeLessThanOrEqual(generatingAt!);
      expect(generatingAt).toBeLessThanOrEqual(firstTextAt!);
      expect(firstTextAt).toBeLessThanOrEqual(firstSentAt!);
    }
  });

  it("keeps only the arrival of a call that never streamed text (a refused input)", async () => {
    const requestId = crypto.randomUUID();
    // No client-side schema on call(): the worker's fast path leaves it to zod, which names the field.
    const refused = client.call("completion", { modelId, history: history(), temperature: 11 }, { requestId });
    await expect(refused).rejects.toSatisfy((error: unknown) => InvalidInputError.isInstance(error) && error.field === "temperature");
    expect(await client.call("test.firstTokenStages", { requestId })).toEqual({ receivedAt: expect.any(Number) });
  });
});
