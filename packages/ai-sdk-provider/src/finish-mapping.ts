import type { LanguageModelV4FinishReason, LanguageModelV4Usage, SharedV4ProviderMetadata } from "@ai-sdk/provider";
import type { CompletionStats, StopReason } from "@rein/sdk";

/**
 * Rein's stop reason as the AI SDK's: `eos` and `stopSequence` are `stop`, `toolCalls` is `tool-calls`;
 * `raw` keeps Rein's own word.
 *
 * @example
 * ```ts
 * toFinishReason("stopSequence"); // { unified: "stop", raw: "stopSequence" }
 * ```
 */
export function toFinishReason(stopReason: StopReason): LanguageModelV4FinishReason {
  switch (stopReason) {
    case "eos":
    case "stopSequence":
      return { unified: "stop", raw: stopReason };
    case "length":
      return { unified: "length", raw: stopReason };
    case "toolCalls":
    case "maxSteps":
      return { unified: "tool-calls", raw: stopReason };
    case "error":
      return { unified: "error", raw: stopReason };
    default:
      return { unified: "other", raw: stopReason };
  }
}

/**
 * Rein's completion stats as AI SDK usage. Prompt tokens Rein reused from the context (a prefix the
 * model had already evaluated) count as `cacheRead`, the ones it evaluated as `noCache`.
 *
 * @example
 * ```ts
 * toUsage(stats).inputTokens.total === stats.promptTokens;
 * ```
 */
export function toUsage(stats: CompletionStats | undefined): LanguageModelV4Usage {
  if (!stats) {
    return { inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: undefined, text: undefined, reasoning: undefined } };
  }
  return {
    inputTokens: { total: stats.promptTokens, noCache: stats.evaluatedPromptTokens, cacheRead: stats.promptTokens - stats.evaluatedPromptTokens, cacheWrite: undefined },
    outputTokens: { total: stats.generatedTokens, text: undefined, reasoning: undefined },
    raw: { ...stats },
  };
}

/** `providerMetadata.rein`: the run's requestId (cancellable with `client.cancel`) and its timings. */
export function reinMetadata(requestId: string, stopReason?: StopReason, stats?: CompletionStats): SharedV4ProviderMetadata {
  return {
    rein: {
      requestId,
      ...(stopReason !== undefined ? { stopReason } : {}),
      ...(stats ? { timeToFirstTokenMs: stats.timeToFirstTokenMs, tokensPerSecond: stats.tokensPerSecond, durationMs: stats.durationMs } : {}),
    },
  };
}
