import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embed, embedMany, generateObject, generateText, Output, streamText } from "ai";
import { z } from "zod";
import { createRein, type ReinProvider } from "@rein/ai-sdk-provider";
import { testModelPath } from "@rein/test-model";
import { createTestClient, tinyModel } from "../helpers/rein-test-client.ts";

// The AI SDK logs every warning to the console; the tests read them from the results instead.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("the real `ai` package on Rein models: generateText, streamText, generateObject, embed", () => {
  let rein: ReinProvider;
  let tiny: string;
  let thinking: string;

  beforeAll(async () => {
    rein = createRein({ client: createTestClient() });
    tiny = await tinyModel();
    thinking = await testModelPath({ script: "thinking" });
  });
  afterAll(async () => {
    await rein.close();
    await rein.client.close();
  });

  it("generateText: text, finish reason, usage from Rein's stats, the requestId as response id and in providerMetadata", async () => {
    const result = await generateText({ model: rein(tiny), prompt: "Tell me a story.", maxOutputTokens: 12, temperature: 0, presencePenalty: 0.5 });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finishReason).toBe("length");
    expect(result.rawFinishReason).toBe("length");
    expect(result.usage.outputTokens).toBe(12);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.response.id).toMatch(uuid);
    expect(result.providerMetadata?.rein?.requestId).toBe(result.response.id);
    expect(result.warnings).toEqual([{ type: "unsupported", feature: "presencePenalty" }]);
  });

  it("the same seed gives the same text; stopSequences stop it with finishReason stop", async () => {
    const settings = { model: rein(tiny), prompt: "Tell me a story.", maxOutputTokens: 24, temperature: 1, topK: 40, topP: 0.9, seed: 7 };
    const first = await generateText(settings);
    const second = await generateText(settings);
    expect(second.text).toBe(first.text);
    // A word from the middle of the text (without spaces: the test vocabulary splits a leading space off).
    const stop = first.text.split(" ").filter((word) => word.length >= 2)[2]!;
    const stopped = await generateText({ ...settings, stopSequences: [stop] });
    expect(stopped.finishReason).toBe("stop");
    expect(stopped.rawFinishReason).toBe("stopSequence");
    expect(stopped.text.length).toBeLessThan(first.text.length);
  });

  it("streamText: textStream yields the text; fullStream has the spec's order of parts and ends with usage", async () => {
    const streamed = streamText({ model: rein(tiny), prompt: "Tell me a story.", maxOutputTokens: 16, temperature: 0 });
    let text = "";
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toBe(await streamed.text);
    expect((await streamed.usage).outputTokens).toBe(16);

    const full = streamText({ model: rein(tiny), prompt: "Tell me a story.", maxOutputTokens: 16, temperature: 0 });
    const types: string[] = [];
    let requestId: unknown;
    for await (const part of full.fullStream) {
      types.push(part.type);
      if (part.type === "text-start") requestId = part.providerMetadata?.rein?.requestId;
    }
    const collapsed = types.filter((type, index) => type !== types[index - 1]);
    expect(collapsed).toEqual(["start", "start-step", "text-start", "text-delta", "text-end", "finish-step", "finish"]);
    expect(requestId).toMatch(uuid);
    expect((await full.response).id).toBe(requestId);
    expect(await full.text).toBe(text);
    expect(await full.finishReason).toBe("length");
  });

  it("includeRawChunks: each Rein event also arrives as a raw part", async () => {
    const streamed = streamText({ model: rein(tiny), prompt: "Tell me a story.", maxOutputTokens: 4, includeRawChunks: true });
    const raw: unknown[] = [];
    for await (const part of streamed.fullStream) if (part.type === "raw") raw.push(part.rawValue);
    expect(raw.at(-1)).toMatchObject({ type: "completionDone", stopReason: "length" });
    expect(raw.some((event) => (event as { type: string }).type === "contentDelta")).toBe(true);
  });

  it("thought segments of a thinking model are reasoning parts, apart from the text", async () => {
    const generated = await generateText({ model: rein(thinking), prompt: "What is the answer?" });
    expect(generated.reasoningText).toBe("Let me think.");
    expect(generated.text).toBe(" The answer is 42.");
    expect(generated.finishReason).toBe("stop");

    const streamed = streamText({ model: rein(thinking), prompt: "What is the answer?" });
    const parts: string[] = [];
    for await (const part of streamed.fullStream) {
      if (part.type.startsWith("reasoning") || part.type.startsWith("text")) parts.push(part.type);
    }
    expect(parts.filter((type, index) => type !== parts[index - 1])).toEqual(["reasoning-start", "reasoning-delta", "reasoning-end", "text-start", "text-delta", "text-end"]);
    expect(await streamed.reasoningText).toBe("Let me think.");

    const hidden = await generateText({ model: rein(thinking, { includeThinking: false }), prompt: "What is the answer?" });
    expect(hidden.reasoningText).toBeUndefined();
    expect(hidden.text).toBe(" The answer is 42.");
  });

  const person = z.object({ name: z.string().max(10), role: z.enum(["admin", "user"]), active: z.boolean().nullable(), tags: z.array(z.enum(["x", "y"])).max(3) });

  it("generateObject with a zod schema: the grammar makes random weights give a valid object", async () => {
    for (const seed of [1, 2, 3]) {
      const { object, finishReason } = await generateObject({ model: rein(tiny, { modelConfig: { ctx_size: 2048 } }), schema: person, prompt: "Describe a person.", seed, temperature: 1, maxOutputTokens: 200 });
      expect(finishReason).toBe("stop");
      expect(person.parse(object)).toEqual(object);
    }
  });

  it("generateText with Output.object (the AI SDK 7 form) gives a valid object too", async () => {
    const { output } = await generateText({ model: rein(tiny, { modelConfig: { ctx_size: 2048 } }), output: Output.object({ schema: person }), prompt: "Describe a person.", seed: 4, maxOutputTokens: 200 });
    expect(person.parse(output)).toEqual(output);
  });

  it("embed and embedMany: one vector per value, the same text gives the same vector", async () => {
    const model = rein.embedding(tiny);
    const single = await embed({ model, value: "cancellation is a feature" });
    expect(single.embedding).toHaveLength(128);
    const many = await embedMany({ model, values: ["cancellation is a feature", "something else"] });
    expect(many.embeddings).toHaveLength(2);
    expect(many.embeddings[0]).toEqual(single.embedding);
    expect(many.embeddings[1]).not.toEqual(single.embedding);
    expect(many.providerMetadata?.rein?.requestId).toMatch(uuid);
  });
});
