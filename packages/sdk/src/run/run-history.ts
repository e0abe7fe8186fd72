import type { ChatMessage, CompletionStats, ToolCallData } from "@rein/protocol";

/** One model turn of a run. */
export interface CompletionStep {
  text: string;
  toolCalls: ToolCallData[];
  stats: CompletionStats;
}

/**
 * The history after a run: each model turn becomes an assistant message
 * (with its calls), each call answered in the app a `tool` message with the
 * JSON the model read. Calls no tool answered (a tool without `execute`) are
 * left open for the app to answer before the next `completion()`.
 */
export function historyAfterRun(history: readonly ChatMessage[], steps: readonly CompletionStep[], contents: ReadonlyMap<string, string> = new Map()): ChatMessage[] {
  const next = [...history];
  for (const step of steps) {
    if (step.toolCalls.length === 0) {
      next.push({ role: "assistant", content: step.text });
      continue;
    }
    next.push({ role: "assistant", content: step.text, toolCalls: step.toolCalls });
    for (const call of step.toolCalls) {
      const content = contents.get(call.id);
      if (content !== undefined) next.push({ role: "tool", toolCallId: call.id, content });
    }
  }
  return next;
}
