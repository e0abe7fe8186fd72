import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type CompletionEvent, type ReinClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";
import { createTestClient, history } from "../helpers/rein-test-client.ts";

async function collect(events: AsyncIterable<CompletionEvent>): Promise<CompletionEvent[]> {
  const all: CompletionEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

const weather = z.object({ city: z.string() });

describe("scripted models through the worker: the model's own call syntax and thought segments", () => {
  let client: ReinClient;
  let toolModel: string;
  let thinkingModel: string;

  beforeAll(async () => {
    client = createTestClient();
    toolModel = await client.loadModel({ modelSrc: await testModelPath({ script: "toolCall" }) });
    thinkingModel = await client.loadModel({ modelSrc: await testModelPath({ script: "thinking" }) });
  });
  afterAll(() => client.close());

  it("toolChoice auto: the model calls get_weather on its own, parsed from `||call: get_weather(...)`", async () => {
    const run = client.completion({ modelId: toolModel, history: history("Weather in Paris?"), tools: { get_weather: { description: "Weather", parameters: weather } } });
    const final = await run.final;
    expect(final.stopReason).toBe("toolCalls");
    expect(final.toolCalls).toEqual([{ id: expect.any(String), name: "get_weather", arguments: { city: "Paris" } }]);
  });

  it("with execute: the result goes back to the model, which calls again until maxSteps", async () => {
    const cities: string[] = [];
    const run = client.completion({
      modelId: toolModel,
      history: history("Weather in Paris?"),
      tools: { get_weather: { parameters: weather, execute: ({ city }: z.infer<typeof weather>) => (cities.push(city), { temperature: 21 }) } },
      maxSteps: 3,
    });
    const events = await collect(run.events);
    const final = await run.final;
    expect(final.stopReason).toBe("maxSteps");
    expect(cities).toEqual(["Paris", "Paris", "Paris"]);
    expect(events.filter((event) => event.type === "toolResult")).toHaveLength(3);
    expect(final.steps[1]!.stats.evaluatedPromptTokens).toBeLessThan(final.steps[1]!.stats.promptTokens / 2);
  });

  it("toolChoice none: no functions are offered, so the call syntax stays plain text", async () => {
    const final = await client.completion({ modelId: toolModel, history: history(), tools: { get_weather: { parameters: weather } }, toolChoice: "none" }).final;
    expect(final.stopReason).toBe("eos");
    expect(final.toolCalls).toEqual([]);
    expect(final.contentText).toContain("||call: get_weather");
  });

  it("thought segments arrive as thinkingDelta, apart from contentDelta; final.thinkingText holds them", async () => {
    const run = client.completion({ modelId: thinkingModel, history: history() });
    const events = await collect(run.events);
    const thinking = events.flatMap((event) => (event.type === "thinkingDelta" ? [event.text] : [])).join("");
    const content = events.flatMap((event) => (event.type === "contentDelta" ? [event.text] : [])).join("");
    expect(thinking).toBe("Let me think.");
    expect(content).toBe(" The answer is 42.");
    const final = await run.final;
    expect(final).toMatchObject({ stopReason: "eos", thinkingText: "Let me think.", contentText: " The answer is 42." });
  });

  it("includeThinking: false leaves the thoughts out of events and result", async () => {
    const run = client.completion({ modelId: thinkingModel, history: history(), includeThinking: false });
    const events = await collect(run.events);
    expect(events.some((event) => event.type === "thinkingDelta")).toBe(false);
    expect(await run.final).toMatchObject({ thinkingText: "", contentText: " The answer is 42." });
  });
});
