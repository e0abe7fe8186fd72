import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { streamText } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServeProcess, type ServeProcess } from "./serve-process.ts";

const KEY = "client-key-2";
const ADMIN = "admin-key-2";
const LONG = 100_000;

let server: ServeProcess;
let openai: OpenAI;

beforeAll(async () => {
  server = await startServeProcess(["--model", "tiny", "--parallel", "2", "--api-key", KEY, "--admin-key", ADMIN]);
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  if (server) expect(await server.stop()).toEqual({ code: 0, signal: null });
});

async function tokensGenerated(): Promise<number> {
  return (await server.registry(ADMIN)).metrics!["completion.tokensGenerated"] ?? 0;
}

async function expectIdle(): Promise<void> {
  const view = await server.waitForRegistry((registry) => registry.requests.length === 0, "an empty registry", ADMIN);
  expect(view.requests).toEqual([]);
}

const messages = [{ role: "user" as const, content: "Tell me a long story." }];

describe("the openai npm client against rein serve", () => {
  it("lists models, completes without streaming, with usage and the finish reason", async () => {
    const models = await openai.models.list();
    expect(models.data.map((model) => model.id)).toEqual(["tiny"]);
    const completion = await openai.chat.completions.create({ model: "tiny", messages, max_tokens: 6, temperature: 0, seed: 7 });
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(completion.usage).toMatchObject({ completion_tokens: 6, prompt_tokens: expect.any(Number) });
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + 6);
    // temperature 0 and a seed: the same request answers the same.
    const again = await openai.chat.completions.create({ model: "tiny", messages, max_completion_tokens: 6, temperature: 0, seed: 7 });
    expect(again.choices[0]!.message.content).toBe(completion.choices[0]!.message.content);
  });

  it("streams with include_usage, and the streamed text equals the non-streamed one", async () => {
    const stream = await openai.chat.completions.create({ model: "tiny", messages, max_tokens: 8, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(finish).toBe("length");
    expect(usage?.completion_tokens).toBe(8);
    const whole = await openai.chat.completions.create({ model: "tiny", messages, max_tokens: 8, temperature: 0 });
    expect(text).toBe(whole.choices[0]!.message.content);
  });

  it("aborting a stream through its controller stops the worker", async () => {
    const before = await tokensGenerated();
    const stream = await openai.chat.completions.create({ model: "tiny", messages, max_tokens: LONG, stream: true });
    let chunks = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) chunks += 1;
      if (chunks === 5) stream.controller.abort();
    }
    await expectIdle();
    expect((await tokensGenerated()) - before).toBeLessThan(LONG);
  });

  it("aborting a non-streaming request through an AbortController stops the worker", async () => {
    const before = await tokensGenerated();
    const controller = new AbortController();
    const pending = openai.chat.completions.create({ model: "tiny", messages, max_tokens: LONG }, { signal: controller.signal });
    await server.waitForRegistry((view) => view.requests.some((request) => request.state === "running"), "the request to run", ADMIN);
    controller.abort();
    await expect(pending).rejects.toThrow(OpenAI.APIUserAbortError);
    await expectIdle();
    expect((await tokensGenerated()) - before).toBeLessThan(LONG);
  });

  it("embeds one text and a batch (base64, the client's default, and float)", async () => {
    const one = await openai.embeddings.create({ model: "tiny", input: "cancellation is a feature" });
    expect(one.data).toHaveLength(1);
    const dimension = one.data[0]!.embedding.length;
    expect(dimension).toBeGreaterThan(0);
    const batch = await openai.embeddings.create({ model: "tiny", input: ["cancellation is a feature", "something else"], encoding_format: "float" });
    expect(batch.data.map((entry) => entry.index)).toEqual([0, 1]);
    expect(batch.data[0]!.embedding).toHaveLength(dimension);
    // float32 over base64 loses nothing a float32 vector had.
    batch.data[0]!.embedding.forEach((value, index) => expect(one.data[0]!.embedding[index]).toBeCloseTo(value, 5));
  });

  it("errors arrive as the client's typed errors with OpenAI's fields", async () => {
    const error = await openai.chat.completions.create({ model: "nope", messages }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
    const wrongKey = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "wrong", maxRetries: 0 });
    await expect(wrongKey.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe("the Vercel AI SDK (@ai-sdk/openai-compatible) against rein serve", () => {
  const provider = () => createOpenAICompatible({ name: "rein", baseURL: `${server.url}/v1`, apiKey: KEY, includeUsage: true });

  it("streamText streams a whole answer with usage", async () => {
    const result = streamText({ model: provider().chatModel("tiny"), prompt: "Say something.", maxOutputTokens: 6, temperature: 0 });
    let text = "";
    for await (const part of result.textStream) text += part;
    expect(text.length).toBeGreaterThan(0);
    expect((await result.usage).outputTokens).toBe(6);
    expect(await result.finishReason).toBe("length");
  });

  it("streamText with abortSignal: aborting stops the worker", async () => {
    const before = await tokensGenerated();
    const controller = new AbortController();
    const result = streamText({ model: provider().chatModel("tiny"), prompt: "Tell me a long story.", maxOutputTokens: LONG, abortSignal: controller.signal, onError: () => undefined });
    let parts = 0;
    try {
      for await (const _part of result.textStream) {
        parts += 1;
        if (parts === 5) controller.abort();
      }
    } catch (error) {
      expect(String(error)).toMatch(/abort/i);
    }
    expect(parts).toBeGreaterThanOrEqual(5);
    await expectIdle();
    expect((await tokensGenerated()) - before).toBeLessThan(LONG);
  });
});
