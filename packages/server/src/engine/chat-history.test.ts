import { describe, expect, it } from "vitest";
import { continuesModelTurn, parseToolContent, toChatHistory } from "./chat-history.ts";

describe("toChatHistory", () => {
  it("keeps call -> result -> answer in one model turn, results attached to their calls by id", () => {
    const items = toChatHistory([
      { role: "system", content: "be brief" },
      { role: "user", content: "weather?" },
      { role: "assistant", content: "Let me look.", toolCalls: [{ id: "a", name: "get_weather", arguments: { city: "Paris" } }, { id: "b", name: "get_time", arguments: {} }] },
      { role: "tool", toolCallId: "b", content: '"12:00"' },
      { role: "tool", toolCallId: "a", content: '{"temperature":21}' },
      { role: "assistant", content: "21 degrees at noon." },
      { role: "user", content: "thanks" },
    ]);
    expect(items).toEqual([
      { type: "system", text: "be brief" },
      { type: "user", text: "weather?" },
      {
        type: "model",
        response: [
          "Let me look.",
          { type: "functionCall", name: "get_weather", params: { city: "Paris" }, result: { temperature: 21 } },
          { type: "functionCall", name: "get_time", params: {}, result: "12:00" },
          "21 degrees at noon.",
        ],
      },
      { type: "user", text: "thanks" },
    ]);
    expect(continuesModelTurn(items)).toBe(false);
  });

  it("ends in an open model turn after tool results, so generation continues it", () => {
    const items = toChatHistory([
      { role: "user", content: "weather?" },
      { role: "assistant", content: "", toolCalls: [{ id: "a", name: "get_weather", arguments: {} }] },
      { role: "tool", toolCallId: "a", content: "sunny" },
    ]);
    expect(items.at(-1)).toEqual({ type: "model", response: [{ type: "functionCall", name: "get_weather", params: {}, result: "sunny" }] });
    expect(continuesModelTurn(items)).toBe(true);
  });

  it("reads tool content as JSON when it is JSON, else as text", () => {
    expect(parseToolContent('{"a":1}')).toEqual({ a: 1 });
    expect(parseToolContent("not json")).toBe("not json");
  });
});
