import { describe, expect, it } from "vitest";
import type { LanguageModelV4CallOptions } from "@ai-sdk/provider";
import { toCompletionInput } from "./call-options.ts";

const prompt: LanguageModelV4CallOptions["prompt"] = [{ role: "user", content: [{ type: "text", text: "Hi" }] }];

describe("toCompletionInput", () => {
  it("maps the sampling options Rein has and warns about each one it lacks", () => {
    const { input, warnings } = toCompletionInput(
      { prompt, maxOutputTokens: 64, temperature: 0.5, topP: 0.9, topK: 40, seed: 3, stopSequences: ["END"], presencePenalty: 1, frequencyPenalty: 1, headers: { "user-agent": "ai/7", "x-id": "1" } },
      { timeoutMs: 5000 },
    );
    expect(input).toEqual({ history: [{ role: "user", content: "Hi" }], maxTokens: 64, temperature: 0.5, topP: 0.9, topK: 40, seed: 3, stopSequences: ["END"], timeoutMs: 5000 });
    expect(warnings.map((warning) => (warning.type === "unsupported" ? warning.feature : warning.type))).toEqual(["presencePenalty", "frequencyPenalty", "headers"]);
  });

  it("turns function tools into schema-only Rein tools, trims generated JSON Schema, maps toolChoice, warns on provider tools", () => {
    const { input, warnings } = toCompletionInput(
      {
        prompt,
        tools: [
          { type: "function", name: "get_weather", description: "Weather", inputSchema: { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { city: { anyOf: [{ type: "string" }, { type: "null" }] } } } },
          { type: "provider", id: "openai.web_search", name: "web_search", args: {} },
        ],
        toolChoice: { type: "tool", toolName: "get_weather" },
      },
      {},
    );
    expect(input.tools).toEqual({ get_weather: { description: "Weather", parameters: { type: "object", properties: { city: { oneOf: [{ type: "string" }, { type: "null" }] } } } } });
    expect(input.tools!.get_weather!.execute).toBeUndefined();
    expect(input.toolChoice).toEqual({ name: "get_weather" });
    expect(warnings).toEqual([{ type: "unsupported", feature: "provider-defined tool openai.web_search", details: "Rein runs function tools only." }]);
  });

  it("responseFormat json with a schema is Rein structured output; without one it is a warning", () => {
    expect(toCompletionInput({ prompt, responseFormat: { type: "json", schema: { type: "object", properties: {} }, name: "thing" } }, {}).input.responseFormat).toEqual({ type: "json_schema", schema: { type: "object", properties: {} }, name: "thing" });
    const loose = toCompletionInput({ prompt, responseFormat: { type: "json" } }, {});
    expect(loose.input.responseFormat).toBeUndefined();
    expect(loose.warnings).toEqual([expect.objectContaining({ type: "unsupported", feature: "responseFormat" })]);
  });

  it("providerOptions.rein overrides the model's settings for one call", () => {
    const { input } = toCompletionInput({ prompt, providerOptions: { rein: { includeThinking: false, timeoutMs: 10 }, openai: { user: "x" } } }, { includeThinking: true, timeoutMs: 99 });
    expect(input).toMatchObject({ includeThinking: false, timeoutMs: 10 });
  });
});
