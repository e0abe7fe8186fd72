import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferenceCancelledError, type ReinClient } from "@rein/sdk";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

/** A context of 256 tokens fills after ~220 generated tokens: every run here outgrows its window several times. */
const CONTEXT_SIZE = 256;

describe("a generation longer than its context window", () => {
  const log = lifecycleLog();
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient({ logger: log.logger });
    modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { ctx_size: CONTEXT_SIZE } });
  });
  afterAll(() => client.close());

  const shifts = async () => (await client.inspect()).metrics["completion.contextShifts"] ?? 0;

  it("moves the window (prompt kept, oldest output dropped) and runs to maxTokens with the streamed text intact", async () => {
    const before = await shifts();
    const run = client.completion({ modelId, history: history(), maxTokens: 4 * CONTEXT_SIZE, temperature: 0.8, seed: 7 });
    let streamed = "";
    for await (const event of run.events) if (event.type === "contentDelta") streamed += event.text;
    const final = await run.final;
    expect(final.stopReason).toBe("length");
    expect(final.stats?.generatedTokens).toBe(4 * CONTEXT_SIZE);
    expect(final.contentText).toBe(streamed);
    expect((await shifts()) - before).toBeGreaterThanOrEqual(3);
  });

  it("a cancel after the window moved ends the run cancelled with exactly the streamed text", async () => {
    const before = await shifts();
    const run = client.completion({ modelId, history: history(), maxTokens: 100 * CONTEXT_SIZE });
    let streamed = "";
    let cancelled: Promise<{ cancelled: number }> | undefined;
    for await (const event of run.events) {
      if (event.type !== "contentDelta") continue;
      streamed += event.text;
      // Inside the loop (leaving it would cancel by itself): cancel once the worker reports a shift.
      if (cancelled === undefined && (await shifts()) > before) cancelled = client.cancel({ requestId: run.requestId });
    }
    expect(await cancelled).toEqual({ cancelled: 1 });
    const error = await run.text.catch((caught: unknown) => caught);
    expect(InferenceCancelledError.isInstance(error)).toBe(true);
    expect((error as InferenceCancelledError).partial.text).toBe(streamed);
    expect((await log.waitFor({ event: "end", requestId: run.requestId })).state).toBe("cancelled");
  });
});
