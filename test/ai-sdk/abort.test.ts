import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embedMany, generateObject, generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import { createRein, type ReinProvider } from "@rein/ai-sdk-provider";
import { InferenceCancelledError, type ReinClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";
import { createTestClient, mediumModel, tinyModel } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

/** About 2,000 prompt tokens with the test model's byte-level vocabulary. */
const longPrompt = (salt: string) => `${salt} ${"the quick brown fox jumps over the lazy dog while a stop button waits ".repeat(48)}`;

/** What a rejected call rejected with. */
const failure = (promise: PromiseLike<unknown>) => Promise.resolve(promise).then(() => undefined, (error: unknown) => error);

describe("abortSignal through the provider stops the Rein request in the worker", () => {
  const log = lifecycleLog();
  let client: ReinClient;
  let rein: ReinProvider;
  let tiny: string;

  beforeAll(async () => {
    client = createTestClient({ logger: log.logger });
    rein = createRein({ client });
    tiny = await tinyModel();
  });
  afterAll(async () => {
    await rein.close();
    await client.close();
  });

  /** The worker ended the request as cancelled and holds no request any more. */
  async function expectStoppedInWorker(requestId: string): Promise<void> {
    expect((await log.waitFor({ event: "end", requestId })).state).toBe("cancelled");
    expect((await client.inspect()).requests).toEqual([]);
  }

  it("streamText mid-stream: the stream ends with an abort part, the request ends cancelled in the worker", async () => {
    const controller = new AbortController();
    const streamed = streamText({ model: rein(tiny), prompt: "Tell me a long story.", maxOutputTokens: 100_000, abortSignal: controller.signal });
    const types: string[] = [];
    let requestId = "";
    let deltas = 0;
    for await (const part of streamed.fullStream) {
      types.push(part.type);
      if (part.type === "text-start") requestId = String(part.providerMetadata?.rein?.requestId);
      if (part.type === "text-delta" && ++deltas === 5) controller.abort();
    }
    expect(types.at(-1)).toBe("abort");
    expect(types).not.toContain("finish");
    expect(types).not.toContain("error");
    await expectStoppedInWorker(requestId);
  });

  it("generateText mid-decode: rejects with an AbortError whose cause holds Rein's partial stats", async () => {
    const controller = new AbortController();
    const begin = log.next({ event: "begin", kind: "completion" });
    const call = generateText({ model: rein(tiny), prompt: "Tell me a long story.", maxOutputTokens: 100_000, abortSignal: controller.signal });
    const begun = await begin;
    controller.abort();
    const error = (await failure(call)) as Error;
    expect(error.name).toBe("AbortError");
    expect(error.cause).toBeInstanceOf(InferenceCancelledError);
    const cancelled = error.cause as InferenceCancelledError;
    expect(cancelled.requestId).toBe(begun.requestId);
    expect(cancelled.reason).toBe("abortSignal");
    expect(cancelled.partial.stats?.generatedTokens ?? 0).toBeLessThan(100_000);
    await expectStoppedInWorker(cancelled.requestId);
  });

  it("mid-prefill: the cancel lands within one prompt chunk, before any token", async () => {
    const model = rein(await mediumModel(), { modelConfig: { ctx_size: 4096, prefill_chunk_size: 128 } });
    // Load first, so the abort below lands in the prompt evaluation and not in the load.
    await generateText({ model, prompt: "warm up", maxOutputTokens: 1 });
    const controller = new AbortController();
    const begin = log.next({ event: "begin", kind: "completion" });
    const call = generateText({ model, prompt: longPrompt("prefill"), maxOutputTokens: 50, abortSignal: controller.signal });
    const running = (await begin).requestId;
    controller.abort();
    const error = (await failure(call)) as Error;
    expect(error.name).toBe("AbortError");
    const stats = (error.cause as InferenceCancelledError).partial.stats!;
    expect(stats.promptTokens).toBeGreaterThan(1800);
    expect(stats.generatedTokens).toBe(0);
    expect(stats.evaluatedPromptTokens).toBeLessThan(stats.promptTokens - 128);
    await expectStoppedInWorker(running);
  });

  it("mid-tool: an abort while `ai` runs execute aborts the tool's signal, no further step starts, the registry is empty", async () => {
    const toolModel = await testModelPath({ script: "toolCall" });
    let started!: (signal: AbortSignal | undefined) => void;
    const executing = new Promise<AbortSignal | undefined>((resolve) => (started = resolve));
    const controller = new AbortController();
    const completionsBefore = log.entries.filter((entry) => entry.event === "begin" && entry.kind === "completion").length;
    const call = generateText({
      model: rein(toolModel),
      prompt: "Weather in Paris?",
      tools: {
        get_weather: tool({
          inputSchema: z.object({ city: z.string() }),
          execute: (_input, { abortSignal }) => {
            started(abortSignal);
            // A tool that honours its signal (`ai` waits for execute to settle, whatever the abort).
            return new Promise<{ temperature: number }>((_resolve, reject) => abortSignal?.addEventListener("abort", () => reject(abortSignal.reason), { once: true }));
          },
        }),
      },
      stopWhen: stepCountIs(3),
      abortSignal: controller.signal,
    });
    const toolSignal = await executing;
    controller.abort();
    const error = (await failure(call)) as Error;
    expect(error.name).toBe("AbortError");
    expect(toolSignal?.aborted).toBe(true);
    const completions = log.entries.filter((entry) => entry.event === "begin" && entry.kind === "completion");
    expect(completions.length - completionsBefore).toBe(1);
    // The step that made the call ended normally (toolCalls); nothing else runs.
    expect((await log.waitFor({ event: "end", requestId: completions.at(-1)!.requestId })).state).toBe("completed");
    expect((await client.inspect()).requests).toEqual([]);
  });

  it("generateObject: an abort during generation rejects with an AbortError and stops the request", async () => {
    const controller = new AbortController();
    const begin = log.next({ event: "begin", kind: "completion" });
    const call = generateObject({ model: rein(tiny, { modelConfig: { ctx_size: 2048 } }), schema: z.object({ story: z.string() }), prompt: "A long story", maxOutputTokens: 100_000, abortSignal: controller.signal });
    const running = (await begin).requestId;
    controller.abort();
    const error = (await failure(call)) as Error;
    expect(error.name).toBe("AbortError");
    await expectStoppedInWorker(running);
  });

  it("embedMany: an abort mid-batch cancels the embed request; the worker computes no further text", async () => {
    const texts = Array.from({ length: 9_000 }, (_, index) => `text number ${index} of a very large batch`);
    const model = rein.embedding(tiny);
    await embedMany({ model, values: ["warm up"] });
    const before = (await client.inspect()).metrics["embed.textsEmbedded"] ?? 0;
    const controller = new AbortController();
    const begin = log.next({ event: "begin", kind: "embeddings" });
    const call = embedMany({ model, values: texts, abortSignal: controller.signal });
    const running = (await begin).requestId;
    controller.abort();
    const error = (await failure(call)) as Error;
    expect(error.name).toBe("AbortError");
    await expectStoppedInWorker(running);
    const computed = ((await client.inspect()).metrics["embed.textsEmbedded"] ?? 0) - before;
    expect(computed).toBeLessThan(texts.length);
  });

  it("a signal aborted before the call sends nothing to the worker", async () => {
    await generateText({ model: rein(tiny), prompt: "load", maxOutputTokens: 1 });
    const before = (await client.inspect()).counters.callsReceived;
    const controller = new AbortController();
    controller.abort();
    const error = (await failure(generateText({ model: rein(tiny), prompt: "never sent", abortSignal: controller.signal }))) as Error;
    expect(error.name).toBe("AbortError");
    const streamed = streamText({ model: rein(tiny), prompt: "never sent", abortSignal: controller.signal });
    const types: string[] = [];
    for await (const part of streamed.fullStream) types.push(part.type);
    expect(types).toContain("abort");
    expect((await client.inspect()).counters.callsReceived).toBe(before);
  });
});
