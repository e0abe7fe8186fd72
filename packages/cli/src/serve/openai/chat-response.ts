/** Rein completion results -> OpenAI chat completion objects and stream chunks. */
import type { CompletionFinal, CompletionStats, StopReason, ToolCallData } from "@rein/sdk";

export interface ChunkBase {
  id: string;
  created: number;
  model: string;
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** OpenAI's finish reasons: `stop` (end of text or a stop sequence), `length`, `tool_calls`. */
export function finishReason(stopReason: StopReason): "stop" | "length" | "tool_calls" {
  if (stopReason === "length") return "length";
  if (stopReason === "toolCalls" || stopReason === "maxSteps") return "tool_calls";
  return "stop";
}

export function usageOf(stats: CompletionStats | undefined): OpenAiUsage {
  const prompt = stats?.promptTokens ?? 0;
  const completion = stats?.generatedTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function openAiToolCall(call: ToolCallData) {
  return { id: call.id, type: "function" as const, function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) } };
}

/**
 * The non-streaming answer.
 *
 * @example
 * ```ts
 * reply.send(chatCompletion({ id: `chatcmpl-${requestId}`, created, model: "tiny" }, await run.final));
 * ```
 */
export function chatCompletion(base: ChunkBase, final: CompletionFinal) {
  const toolCalls = final.toolCalls.map(openAiToolCall);
  return {
    ...base,
    object: "chat.completion" as const,
    choices: [
      {
        index: 0,
        message: { role: "assistant" as const, content: toolCalls.length > 0 && final.contentText === "" ? null : final.contentText, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}), refusal: null },
        logprobs: null,
        finish_reason: finishReason(final.stopReason),
      },
    ],
    usage: usageOf(final.stats),
  };
}

/** One `chat.completion.chunk` with a delta (or, with `finish`, the last one of the choice). */
export function chatChunk(base: ChunkBase, delta: Record<string, unknown>, finish: ReturnType<typeof finishReason> | null = null) {
  return { ...base, object: "chat.completion.chunk" as const, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
}

/** The usage chunk of `stream_options.include_usage`: no choices, only usage. */
export function usageChunk(base: ChunkBase, stats: CompletionStats | undefined) {
  return { ...base, object: "chat.completion.chunk" as const, choices: [], usage: usageOf(stats) };
}
