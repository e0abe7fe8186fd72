import type { ChatMessage } from "@rein/protocol";
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from "node-llama-cpp";

/**
 * Turns Rein's chat messages into node-llama-cpp's history. node-llama-cpp
 * keeps one model turn for "call -> result -> answer", so an assistant
 * message right after tool messages continues the model turn before them,
 * and a tool message fills the `result` of its call. The input schema
 * already checked that every tool message answers an open call.
 */
export function toChatHistory(history: readonly ChatMessage[]): ChatHistoryItem[] {
  const items: ChatHistoryItem[] = [];
  // The calls of the last model turn by id, to attach results to.
  let calls = new Map<string, ChatModelFunctionCall>();
  let afterTool = false;
  for (const message of history) {
    switch (message.role) {
      case "system":
        items.push({ type: "system", text: message.content });
        break;
      case "user":
        items.push({ type: "user", text: message.content });
        break;
      case "assistant": {
        const last = items.at(-1);
        const turn: ChatModelResponse = afterTool && last?.type === "model" ? last : { type: "model", response: [] };
        if (turn !== last) items.push(turn);
        if (message.content.length > 0) turn.response.push(message.content);
        calls = new Map();
        for (const call of message.toolCalls ?? []) {
          const item: ChatModelFunctionCall = { type: "functionCall", name: call.name, params: call.arguments, result: undefined };
          turn.response.push(item);
          calls.set(call.id, item);
        }
        break;
      }
      case "tool": {
        const call = calls.get(message.toolCallId);
        if (call) call.result = parseToolContent(message.content);
        break;
      }
    }
    afterTool = message.role === "tool";
  }
  return items;
}

/** A result the SDK wrote as JSON is shown to the model as that JSON; any other text as a string. */
export function parseToolContent(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    return content;
  }
}

/** Whether generation continues the last model turn (after tool results) instead of opening a new one. */
export function continuesModelTurn(items: readonly ChatHistoryItem[]): boolean {
  const last = items.at(-1);
  return last?.type === "model" && last.response.some((part) => typeof part === "object" && part.type === "functionCall");
}
