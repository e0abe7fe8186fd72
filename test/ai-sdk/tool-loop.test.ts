import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import { createRein, type ReinProvider } from "@rein/ai-sdk-provider";
import type { ReinClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";
import { createTestClient } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

describe("tool calls come back as AI SDK tool-call parts; `ai` runs execute and its own loop", () => {
  const log = lifecycleLog();
  let client: ReinClient;
  let rein: ReinProvider;
  let toolModel: string;

  beforeAll(async () => {
    client = createTestClient({ logger: log.logger });
    rein = createRein({ client });
    toolModel = await testModelPath({ script: "toolCall" });
  });
  afterAll(async () => {
    await rein.close();
    await client.close();
  });

  const inputSchema = z.object({ city: z.string() });

  it("stopWhen: stepCountIs(3): three model turns, each one Rein request, execute runs in the app each time", async () => {
    const cities: string[] = [];
    const signals: (AbortSignal | undefined)[] = [];
    const before = log.entries.filter((entry) => entry.event === "begin" && entry.kind === "completion").length;
    const result = await generateText({
      model: rein(toolModel),
      prompt: "Weather in Paris?",
      tools: { get_weather: tool({ description: "Current weather", inputSchema, execute: async ({ city }, { abortSignal }) => (cities.push(city), signals.push(abortSignal), { temperature: 21 }) }) },
      stopWhen: stepCountIs(3),
    });
    expect(result.steps).toHaveLength(3);
    expect(cities).toEqual(["Paris", "Paris", "Paris"]);
    expect(result.finishReason).toBe("tool-calls");
    for (const step of result.steps) {
      expect(step.toolCalls).toEqual([expect.objectContaining({ type: "tool-call", toolName: "get_weather", input: { city: "Paris" } })]);
      expect(step.toolResults).toEqual([expect.objectContaining({ toolName: "get_weather", output: { temperature: 21 } })]);
    }
    // Each step's request id is its own, and the worker ran exactly three completions, none left over.
    const ids = result.steps.map((step) => step.response.id);
    expect(new Set(ids).size).toBe(3);
    const begins = log.entries.filter((entry) => entry.event === "begin" && entry.kind === "completion").slice(before);
    expect(begins.map((entry) => entry.requestId)).toEqual(ids);
    // The second turn reads the first turn's call and result: a longer prompt than the first.
    expect(result.steps[1]!.usage.inputTokens).toBeGreaterThan(result.steps[0]!.usage.inputTokens!);
    expect((await client.inspect()).requests).toEqual([]);
  });

  it("streamText: tool-input-start/delta/end, tool-call and tool-result parts, in order", async () => {
    const streamed = streamText({
      model: rein(toolModel),
      prompt: "Weather in Paris?",
      tools: { get_weather: tool({ inputSchema, execute: async () => ({ temperature: 21 }) }) },
      stopWhen: stepCountIs(1),
    });
    const parts: { type: string; [key: string]: unknown }[] = [];
    for await (const part of streamed.fullStream) parts.push(part as never);
    const toolParts = parts.filter((part) => part.type.startsWith("tool-"));
    expect(toolParts.map((part) => part.type)).toEqual(["tool-input-start", "tool-input-delta", "tool-input-end", "tool-call", "tool-result"]);
    expect(toolParts[1]).toMatchObject({ delta: '{"city":"Paris"}' });
    expect(toolParts[3]).toMatchObject({ toolName: "get_weather", input: { city: "Paris" } });
    expect(await streamed.finishReason).toBe("tool-calls");
  });

  it("a tool without execute: one step, the call is returned for the app to answer", async () => {
    const result = await generateText({ model: rein(toolModel), prompt: "Weather in Paris?", tools: { get_weather: tool({ inputSchema }) }, stopWhen: stepCountIs(3) });
    expect(result.steps).toHaveLength(1);
    expect(result.finishReason).toBe("tool-calls");
    expect(result.toolCalls).toEqual([expect.objectContaining({ toolName: "get_weather", input: { city: "Paris" } })]);
  });

  it("toolChoice none: no functions are offered, so the call syntax stays plain text", async () => {
    const result = await generateText({ model: rein(toolModel), prompt: "Weather in Paris?", tools: { get_weather: tool({ inputSchema, execute: async () => ({}) }) }, toolChoice: "none" });
    expect(result.toolCalls).toEqual([]);
    expect(result.text).toContain("||call: get_weather");
    expect(result.finishReason).toBe("stop");
  });

  it("a tool result from the app's own history (a tool message) is what the model reads next", async () => {
    const result = await generateText({
      model: rein(toolModel),
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: [{ type: "tool-call", toolCallId: "call-1", toolName: "get_weather", input: { city: "Paris" } }] },
        { role: "tool", content: [{ type: "tool-result", toolCallId: "call-1", toolName: "get_weather", output: { type: "json", value: { temperature: 21 } } }] },
      ],
      tools: { get_weather: tool({ inputSchema }) },
    });
    // The scripted model calls again whatever it reads; the point is that Rein accepted the history.
    expect(result.toolCalls).toEqual([expect.objectContaining({ toolName: "get_weather" })]);
    expect(result.usage.inputTokens).toBeGreaterThan(20);
  });
});
