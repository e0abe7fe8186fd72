import { describe, expect, it } from "vitest";
import { UnsupportedFunctionalityError } from "@ai-sdk/provider";
import { toReinHistory, toolResultText } from "./prompt-mapping.ts";

describe("toReinHistory", () => {
  it("maps system, user, assistant (text + tool calls) and tool messages one to one", () => {
    const { history, warnings } = toReinHistory([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Weather " }, { type: "text", text: "in Paris?" }] },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "I should call the tool." },
          { type: "text", text: "Checking." },
          { type: "tool-call", toolCallId: "c1", toolName: "get_weather", input: { city: "Paris" } },
        ],
      },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "c1", toolName: "get_weather", output: { type: "json", value: { temperature: 21 } } }] },
    ]);
    expect(history).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: "Checking.", toolCalls: [{ id: "c1", name: "get_weather", arguments: { city: "Paris" } }] },
      { role: "tool", toolCallId: "c1", content: '{"temperature":21}' },
    ]);
    expect(warnings).toEqual([{ type: "other", message: expect.stringContaining("Reasoning parts") }]);
  });

  it("inlines text files and refuses any other file with UnsupportedFunctionalityError", () => {
    expect(toReinHistory([{ role: "user", content: [{ type: "file", mediaType: "text/plain", data: { type: "text", text: "notes" } }] }]).history).toEqual([{ role: "user", content: "notes" }]);
    expect(() => toReinHistory([{ role: "user", content: [{ type: "file", mediaType: "image/png", data: { type: "data", data: new Uint8Array([1]) } }] }])).toThrow(UnsupportedFunctionalityError);
  });
});

describe("toolResultText", () => {
  it("uses Rein's {\"error\": ...} shape for failures and denials", () => {
    expect(toolResultText({ type: "text", value: "sunny" })).toBe("sunny");
    expect(toolResultText({ type: "error-text", value: "timeout" })).toBe('{"error":"timeout"}');
    expect(toolResultText({ type: "error-json", value: { status: 500 } })).toBe('{"error":{"status":500}}');
    expect(toolResultText({ type: "execution-denied" })).toBe('{"error":"The tool call was denied."}');
    expect(toolResultText({ type: "content", value: [{ type: "text", text: "a" }, { type: "text", text: "b" }] })).toBe("ab");
  });
});
