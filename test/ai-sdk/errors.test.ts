import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APICallError, UnsupportedFunctionalityError } from "@ai-sdk/provider";
import { generateText, jsonSchema, streamText, tool } from "ai";
import { createRein, type ReinProvider } from "@rein/ai-sdk-provider";
import { InferenceCancelledError, InvalidInputError, type ReinClient } from "@rein/sdk";
import { createTestClient, tinyModel } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

describe("Rein errors as AI SDK errors: typed, with the Rein error as cause, never retried when a retry cannot help", () => {
  const log = lifecycleLog();
  let client: ReinClient;
  let rein: ReinProvider;
  let tiny: string;

  beforeAll(async () => {
    client = createTestClient({ logger: log.logger });
    rein = createRein({ client });
    tiny = await tinyModel();
    await generateText({ model: rein(tiny), prompt: "load", maxOutputTokens: 1 });
  });
  afterAll(async () => {
    await rein.close();
    await client.close();
  });

  it("invalid input: an APICallError (not a RetryError: `ai` tried once) naming the field in its cause", async () => {
    const before = (await client.inspect()).counters.callsReceived;
    const error = await generateText({ model: rein(tiny), prompt: "hi", temperature: 50 }).catch((caught: unknown) => caught);
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).isRetryable).toBe(false);
    expect((error as APICallError).data).toEqual({ code: 50001, name: "InvalidInputError" });
    expect((error as APICallError).cause).toBeInstanceOf(InvalidInputError);
    expect(((error as APICallError).cause as InvalidInputError).field).toBe("temperature");
    // Checked in the client: nothing reached the worker, let alone three times.
    expect((await client.inspect()).counters.callsReceived).toBe(before);
  });

  it("a schema keyword the grammar cannot enforce is refused, naming it", async () => {
    const error = await generateText({
      model: rein(tiny),
      prompt: "hi",
      tools: { search: tool({ inputSchema: jsonSchema<{ query: string }>({ type: "object", properties: { query: { type: "string", pattern: "^[a-z]+$" } } }) }) },
    }).catch((caught: unknown) => caught);
    expect(((error as APICallError).cause as InvalidInputError).field).toBe("tools.search.parameters.properties.query.pattern");
  });

  it("a cancel from elsewhere (by requestId): generateText rejects with a non-retryable APICallError, cause InferenceCancelledError", async () => {
    const begin = log.next({ event: "begin", kind: "completion" });
    const call = generateText({ model: rein(tiny), prompt: "a long story", maxOutputTokens: 100_000 });
    const { requestId } = await begin;
    expect(await client.cancel({ requestId })).toEqual({ cancelled: 1 });
    const error = await call.catch((caught: unknown) => caught);
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).isRetryable).toBe(false);
    expect((error as APICallError).cause).toBeInstanceOf(InferenceCancelledError);
    expect((error as APICallError).data).toMatchObject({ code: 52419, requestId });
    // Not retried: no completion began after the cancelled one.
    const completions = log.entries.filter((entry) => entry.event === "begin" && entry.kind === "completion");
    expect(completions.at(-1)?.requestId).toBe(requestId);
  });

  it("a cancel from elsewhere mid-stream: an error part with the APICallError, then finish with finishReason error", async () => {
    // onError: the AI SDK would log the error part to the console.
    const streamed = streamText({ model: rein(tiny), prompt: "a long story", maxOutputTokens: 100_000, onError: () => undefined });
    const parts: { type: string; [key: string]: unknown }[] = [];
    for await (const part of streamed.fullStream) {
      parts.push(part as never);
      if (part.type === "text-start") void client.cancel({ requestId: String(part.providerMetadata?.rein?.requestId) });
    }
    const errorPart = parts.find((part) => part.type === "error");
    expect(APICallError.isInstance(errorPart?.error)).toBe(true);
    expect((errorPart!.error as APICallError).cause).toBeInstanceOf(InferenceCancelledError);
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "error" });
    expect((await client.inspect()).requests).toEqual([]);
  });

  it("a prompt with an image is UnsupportedFunctionalityError; a text file is read as text", async () => {
    const image = await generateText({
      model: rein(tiny),
      messages: [{ role: "user", content: [{ type: "file", mediaType: "image/png", data: new Uint8Array([137, 80, 78, 71]) }] }],
    }).catch((caught: unknown) => caught);
    expect(UnsupportedFunctionalityError.isInstance(image)).toBe(true);
    const text = await generateText({ model: rein(tiny), messages: [{ role: "user", content: [{ type: "text", text: "Summarise: " }] }], maxOutputTokens: 3 });
    expect(text.finishReason).toBe("length");
  });

  it("unsupported options are warnings, never silent; headers other than ai's user-agent are one too", async () => {
    const result = await generateText({ model: rein(tiny), prompt: "hi", maxOutputTokens: 2, frequencyPenalty: 1, headers: { "x-trace": "1" }, reasoning: "high" });
    expect(result.warnings).toEqual([
      { type: "unsupported", feature: "frequencyPenalty" },
      { type: "unsupported", feature: "reasoning", details: expect.any(String) },
      { type: "unsupported", feature: "headers", details: expect.any(String) },
    ]);
  });
});
