import type { LanguageModelV4StreamPart, SharedV4Warning } from "@ai-sdk/provider";
import type { CompletionEvent, CompletionRun, CompletionStats } from "@rein/sdk";
import { toProviderError, type ReinCallContext } from "./error-mapping.ts";
import { reinMetadata, toFinishReason, toUsage } from "./finish-mapping.ts";

export interface StreamMappingOptions {
  warnings: SharedV4Warning[];
  /** Reported as the response's `modelId` (the model source). */
  modelId: string;
  /** Adds each Rein event as a `raw` part. */
  includeRawChunks?: boolean;
  context: ReinCallContext;
}

/**
 * A Rein completion run as the AI SDK's stream parts, in the specification's order: `stream-start`
 * (with the call's warnings), `response-metadata` (its `id` is the run's requestId), text and thought
 * segments as `text-*` / `reasoning-*` blocks (a block closes when the other kind starts), each tool
 * call as `tool-input-start/delta/end` then `tool-call`, and `finish` with usage and finish reason.
 *
 * A run the call's `abortSignal` stopped errors the stream with an `AbortError` (what `streamText`
 * takes for an abort); any other failure becomes an `error` part followed by `finish` with
 * `finishReason: "error"`. Cancelling the stream (what `streamText` does on abort) cancels the run.
 *
 * @example
 * ```ts
 * const stream = toStreamParts(client.completion({ modelId, history }), { warnings: [], modelId: "m.gguf", context });
 * ```
 */
export function toStreamParts(run: CompletionRun, options: StreamMappingOptions): ReadableStream<LanguageModelV4StreamPart> {
  const iterator = run.events[Symbol.asyncIterator]();
  const metadata = reinMetadata(run.requestId);
  let open: { kind: "text" | "reasoning"; id: string } | undefined;
  let blocks = 0;
  let stats: CompletionStats | undefined;
  let cancelled = false;

  return new ReadableStream<LanguageModelV4StreamPart>({
    start(controller) {
      controller.enqueue({ type: "stream-start", warnings: options.warnings });
      controller.enqueue({ type: "response-metadata", id: run.requestId, modelId: options.modelId, timestamp: new Date() });
    },
    async pull(controller) {
      // After `ai` cancelled the stream (an abort), the run still ends; nothing may be enqueued then.
      const emit = (part: LanguageModelV4StreamPart) => {
        if (!cancelled) controller.enqueue(part);
      };
      const closeOpen = () => {
        if (open) emit({ type: open.kind === "text" ? "text-end" : "reasoning-end", id: open.id });
        open = undefined;
      };
      const delta = (kind: "text" | "reasoning", text: string) => {
        if (open?.kind !== kind) {
          closeOpen();
          open = { kind, id: `${kind}-${blocks++}` };
          emit({ type: kind === "text" ? "text-start" : "reasoning-start", id: open.id, providerMetadata: metadata });
        }
        emit({ type: kind === "text" ? "text-delta" : "reasoning-delta", id: open.id, delta: text });
      };
      for (;;) {
        let next: IteratorResult<CompletionEvent>;
        try {
          next = await iterator.next();
        } catch {
          // The events end with the run's error after its `completionDone`, which was handled already.
          return;
        }
        if (next.done || cancelled) return;
        const event = next.value;
        if (options.includeRawChunks) emit({ type: "raw", rawValue: event });
        switch (event.type) {
          case "contentDelta":
            delta("text", event.text);
            return;
          case "thinkingDelta":
            delta("reasoning", event.text);
            return;
          case "toolCall": {
            closeOpen();
            const { id, name } = event.call;
            const input = JSON.stringify(event.call.arguments ?? {});
            emit({ type: "tool-input-start", id, toolName: name, providerMetadata: metadata });
            emit({ type: "tool-input-delta", id, delta: input });
            emit({ type: "tool-input-end", id });
            emit({ type: "tool-call", toolCallId: id, toolName: name, input, providerMetadata: metadata });
            return;
          }
          case "completionStats":
            stats = event.stats;
            continue;
          case "completionDone": {
            closeOpen();
            if (event.stopReason === "cancelled" || event.stopReason === "timeout" || event.stopReason === "error") {
              const failure = await run.final.then(
                () => undefined,
                (error: unknown) => error,
              );
              const error = toProviderError(failure, options.context);
              if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) {
                controller.error(error);
                return;
              }
              emit({ type: "error", error });
              emit({ type: "finish", usage: toUsage(stats), finishReason: { unified: "error", raw: event.stopReason }, providerMetadata: reinMetadata(run.requestId, event.stopReason, stats) });
            } else {
              emit({ type: "finish", usage: toUsage(stats), finishReason: toFinishReason(event.stopReason), providerMetadata: reinMetadata(run.requestId, event.stopReason, stats) });
            }
            if (!cancelled) controller.close();
            return;
          }
          default:
            // toolResult / toolError: only for tools with `execute`, which this provider never sends.
            continue;
        }
      }
    },
    async cancel() {
      cancelled = true;
      // Leaving the run's events early cancels the run (a no-op once it ended).
      await iterator.return?.();
    },
  });
}
