import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferenceCancelledError, type ReinClient } from "@rein/sdk";
import { createTestClient, mediumModel, tinyModel } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

/** About 2,000 prompt tokens with the test model's byte-level vocabulary. */
const longPrompt = (salt: string) => `${salt} ${"the quick brown fox jumps over the lazy dog while a stop button waits ".repeat(48)}`;

describe("bounded prefill cancel", () => {
  const log = lifecycleLog();
  let client: ReinClient;

  beforeAll(() => {
    client = createTestClient({ logger: log.logger });
  });
  afterAll(() => client.close());

  it("a cancel during prompt evaluation lands within one chunk: only part of the prompt is evaluated", async () => {
    const modelId = await client.loadModel({ modelSrc: await mediumModel(), modelConfig: { ctx_size: 4096, prefill_chunk_size: 128 } });
    const run = client.completion({ modelId, history: [{ role: "user", content: longPrompt("chunked") }], maxTokens: 50 });
    await log.waitFor({ event: "begin", requestId: run.requestId });
    expect(await run.cancel()).toEqual({ cancelled: 1 });
    const error = (await run.final.catch((caught: unknown) => caught)) as InferenceCancelledError;
    expect(error).toBeInstanceOf(InferenceCancelledError);
    const stats = error.partial.stats!;
    expect(stats.promptTokens).toBeGreaterThan(1800);
    expect(stats.generatedTokens).toBe(0);
    expect(stats.evaluatedPromptTokens).toBeLessThan(stats.promptTokens - 128);
    expect(stats.evaluatedPromptTokens % 128).toBe(0);
    await client.unloadModel({ modelId });
  });

  it("without chunking (prefill_chunk_size 0) node-llama-cpp evaluates the whole prompt before it sees the cancel", async () => {
    const modelId = await client.loadModel({ modelSrc: await mediumModel(), modelConfig: { ctx_size: 4096, prefill_chunk_size: 0 } });
    const run = client.completion({ modelId, history: [{ role: "user", content: longPrompt("unchunked") }], maxTokens: 50 });
    await log.waitFor({ event: "begin", requestId: run.requestId });
    await run.cancel();
    const error = (await run.final.catch((caught: unknown) => caught)) as InferenceCancelledError;
    expect(error).toBeInstanceOf(InferenceCancelledError);
    expect(error.partial.stats!.evaluatedPromptTokens).toBe(error.partial.stats!.promptTokens);
    await client.unloadModel({ modelId });
  });

  it.each(["tiny", "medium"] as const)("the default chunk size generates the same text as an unchunked run for the same seed (%s)", async (preset) => {
    const modelSrc = preset === "tiny" ? await tinyModel() : await mediumModel();
    const maxTokens = preset === "tiny" ? 120 : 24;
    const chunked = await client.loadModel({ modelSrc, modelConfig: { ctx_size: 4096 } });
    const unchunked = await client.loadModel({ modelSrc, modelConfig: { ctx_size: 4096, prefill_chunk_size: 0 } });
    const settings = { history: [{ role: "user" as const, content: longPrompt(`seeded ${preset}`) }], maxTokens, temperature: 0.9, topK: 40, topP: 0.95, seed: 1234 };
    const withChunks = await client.completion({ modelId: chunked, ...settings }).final;
    const withoutChunks = await client.completion({ modelId: unchunked, ...settings }).final;
    expect(withChunks.stats?.generatedTokens).toBe(maxTokens);
    expect(withChunks.contentText).toBe(withoutChunks.contentText);
    await client.unloadModel({ modelId: chunked });
    await client.unloadModel({ modelId: unchunked });
  });

  it("a chunked run is exactly an unchunked run evaluated with batch_size = chunk", async () => {
    // llama.cpp's CPU kernels round differently for some batch sizes (64 on the F32 tiny model), which can flip a
    // sampled token at temperature > 0. Chunking adds nothing of its own: it matches that batch size bit for bit.
    const modelSrc = await tinyModel();
    const settings = { history: [{ role: "user" as const, content: longPrompt("batch equivalence") }], maxTokens: 60, temperature: 0.9, topK: 40, topP: 0.95, seed: 1234 };
    const texts: string[] = [];
    for (const modelConfig of [
      { ctx_size: 4096, prefill_chunk_size: 64 },
      { ctx_size: 4096, prefill_chunk_size: 0, batch_size: 64 },
    ]) {
      const modelId = await client.loadModel({ modelSrc, modelConfig });
      texts.push(await client.completion({ modelId, ...settings }).text);
      await client.unloadModel({ modelId });
    }
    expect(texts[0]).toBe(texts[1]);
    // Greedy decoding is identical whatever the chunk size.
    const greedy: string[] = [];
    for (const prefill_chunk_size of [0, 64, 128]) {
      const modelId = await client.loadModel({ modelSrc, modelConfig: { ctx_size: 4096, prefill_chunk_size } });
      greedy.push(await client.completion({ modelId, ...settings, temperature: 0 }).text);
      await client.unloadModel({ modelId });
    }
    expect(new Set(greedy).size).toBe(1);
  });
});
