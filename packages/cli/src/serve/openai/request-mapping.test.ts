import { InvalidInputError } from "@rein/sdk";
import { describe, expect, it } from "vitest";
import { chatCompletionRequestSchema, openAiParam, parseOpenAiBody, toCompletionParams } from "./request-mapping.ts";

const parse = (body: unknown) => parseOpenAiBody(chatCompletionRequestSchema, body, "chat.completions");

function refusal(body: unknown): InvalidInputError {
  try {
    parse(body);
  } catch (error) {
    if (InvalidInputError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("OpenAI chat request -> completion params", () => {
  it("maps messages, sampling, stop, tools, tool results and response formats", () => {
    const body = parse({
      model: "m",
      messages: [
        { role: "developer", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Weather " }, { type: "text", text: "in Paris?" }] },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "c1", content: '{"celsius":21}' },
      ],
      max_tokens: 10,
      max_completion_tokens: 20,
      temperature: 0.5,
      top_p: 0.9,
      seed: 3,
      stop: "END",
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      user: "ignored",
    });
    expect(toCompletionParams(body, "model-id")).toEqual({
      modelId: "model-id",
      history: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "get_weather", arguments: { city: "Paris" } }] },
        { role: "tool", toolCallId: "c1", content: '{"celsius":21}' },
      ],
      maxTokens: 20,
      temperature: 0.5,
      topP: 0.9,
      seed: 3,
      stopSequences: ["END"],
      tools: { get_weather: { description: undefined, parameters: { type: "object", properties: { city: { type: "string" } } } } },
      toolChoice: { name: "get_weather" },
    });
    const schema = { type: "object", properties: { ok: { type: "boolean" } } };
    expect(toCompletionParams(parse({ model: "m", messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "r", schema } } }), "id").responseFormat).toEqual({ type: "json_schema", schema, name: "r" });
    expect(toCompletionParams(parse({ model: "m", messages: [{ role: "user", content: "x" }], response_format: { type: "json_object" } }), "id").responseFormat).toMatchObject({ type: "json_schema", schema: { type: "object" } });
  });

  it("names the OpenAI field of every refusal", () => {
    expect(refusal({ messages: [{ role: "user", content: "x" }] }).field).toBe("model");
    expect(refusal({ model: "m", messages: [] }).field).toBe("messages");
    expect(refusal({ model: "m", messages: [{ role: "robot", content: "x" }] }).field).toBe("messages.0.role");
    expect(refusal({ model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] }).field).toMatch(/^messages\.0\.content/);
    expect(refusal({ model: "m", messages: [{ role: "user", content: "x" }], n: 3 }).field).toBe("n");
    const badArguments = parse({ model: "m", messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", function: { name: "f", arguments: "{nope" } }] }] });
    expect(() => toCompletionParams(badArguments, "id")).toThrow(/messages\.0\.tool_calls\.0\.function\.arguments/);
  });

  it("translates Rein field paths back to OpenAI's names", () => {
    expect(openAiParam("history.2.toolCalls.0")).toBe("messages.2.tool_calls.0");
    expect(openAiParam("maxTokens")).toBe("max_tokens");
    expect(openAiParam("responseFormat.schema.pattern")).toBe("response_format.schema.pattern");
    expect(openAiParam("tools.get_weather.parameters")).toBe("tools.get_weather.parameters");
  });
});
