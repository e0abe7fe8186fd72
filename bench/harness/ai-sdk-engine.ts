import type { ChatMessage } from "@rein/protocol";
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { streamText } from "ai";
import type { LifecycleWatch } from "./lifecycle-watch.ts";
import { newTrace, type CancelPlan, type GenerationSettings, type GenerationTrace } from "./generation-trace.ts";

/**
 * One completion through the Vercel AI SDK and `@rein/ai-sdk-provider` (`streamText` -> provider ->
 * Rein client -> RPC -> worker), observed in the app's `for await` over `fullStream`. A cancel is the
 * call's `abortSignal`; the trace settles when the stream ends (its `abort` part) and `workerEndedAt`
 * is the worker's lifecycle `end` line for the request.
 *
 * @example
 * ```ts
 * const trace = await runProviderGeneration({ model: rein(modelPath), history, settings, cancel: { kind: "afterChunks", chunks: 16 }, watch });
 * ```
 */
export async function runProviderGeneration(options: {
  model: LanguageModelV4;
  history: readonly ChatMessage[];
  settings: GenerationSettings;
  cancel: CancelPlan;
  watch: LifecycleWatch | undefined;
}): Promise<GenerationTrace> {
  const { settings, cancel } = options;
  const trace = newTrace(performance.now());
  const controller = new AbortController();
  const stop = () => {
    if (trace.cancelAt !== null) return;
    trace.cancelAt = performance.now();
    controller.abort();
  };
  const timer = cancel.kind === "afterMs" ? setTimeout(stop, cancel.ms) : undefined;
  const streamed = streamText({
    model: options.model,
    messages: options.history.map((message) => ({ role: message.role as "user", content: message.content })),
    maxOutputTokens: settings.maxTokens,
    temperature: settings.temperature,
    seed: settings.seed,
    abortSignal: controller.signal,
    maxRetries: 0,
  });
  let requestId: string | undefined;
  try {
    for await (const part of streamed.fullStream) {
      const now = performance.now();
      if (part.type === "text-start") requestId ??= String(part.providerMetadata?.rein?.requestId);
      if (part.type === "text-delta") {
        if (trace.lastChunkAt !== null) trace.maxChunkGapMs = Math.max(trace.maxChunkGapMs, now - trace.lastChunkAt);
        trace.firstChunkAt ??= now;
        trace.lastChunkAt = now;
        trace.chunks += 1;
        trace.text += part.text;
        if (trace.cancelAt !== null) trace.chunksAfterCancel += 1;
        if (cancel.kind === "afterChunks" && trace.chunks === cancel.chunks) stop();
      } else if (part.type === "finish") {
        trace.tokens = part.totalUsage.outputTokens ?? 0;
        trace.stopReason = String(part.rawFinishReason ?? part.finishReason);
      } else if (part.type === "abort") {
        trace.stopReason = "cancelled";
      } else if (part.type === "error") {
        throw part.error;
      }
    }
    trace.settledAt = performance.now();
  } finally {
    clearTimeout(timer);
  }
  if (requestId !== undefined && options.watch !== undefined) trace.workerEndedAt = await options.watch.endOf(requestId);
  return trace;
}
