import { completionInputSchema, plainCompletionInput, type CompletionStats, type StopReason, type ToolCallData } from "@rein/protocol";
import { generateCompletion } from "../../engine/generate-completion.ts";
import { needsChatTurns, runChatCompletion, type CompletionStep } from "./chat-completion.ts";
import type { CancelCause } from "../../registry/index.ts";
import { defineOp } from "../define-op.ts";
import { TextCoalescer } from "./text-coalescer.ts";

/**
 * Deltas closer together than this share one frame: half a 60 Hz display
 * frame, so nobody can see it, while a model at 360 tokens/s sends ~3 tokens
 * per frame and one at 1,600 tokens/s ~13. The first delta after a pause goes
 * out at once; a cancel flushes what is pending before it is acknowledged.
 */
export const DELTA_WINDOW_MS = 8;

/** What a completion call resolves to; the client turns it into events and promises. */
export interface CompletionResult {
  text: string;
  stopReason: StopReason;
  stats: CompletionStats;
  /** Why it was stopped, when `stopReason` is "cancelled" or "timeout". */
  cancelReason: CancelCause | null;
  /** Every call the model made, across the steps of a tool loop (chat path only, like the fields below). */
  toolCalls?: ToolCallData[];
  thinkingText?: string;
  steps?: CompletionStep[];
  object?: unknown;
}

/**
 * Chat completion on a loaded model. Streams `{ type: "contentDelta", text }`
 * chunks (and `thinkingDelta`, `toolCalls` on the chat path); the final
 * result carries the stop reason and stats. Cancel is hard: per-sequence
 * abort during decode, chunk boundary during prefill, at once while a tool
 * loop waits for the app's tool results.
 */
export const completionOp = defineOp({
  name: "completion",
  kind: "completion",
  input: completionInputSchema,
  // A plain chat skips zod (see plainCompletionInput): time to first token counts the parse.
  fastInput: plainCompletionInput,
  model: "required",
  cancel: "hard",
  // As many completions at once as the context has sequences; the rest queue.
  admission: (_input, model) => ({ maxConcurrent: model?.config.parallel }),
  async run(context, input): Promise<CompletionResult> {
    const model = context.model!;
    // Counted where the model is first touched: a request cancelled in the queue never gets here (tests and bench read it).
    addMetric(context.services.metrics, "completion.started", 1);
    const timeline = context.services.firstTokenTimeline;
    timeline.stamp(context.requestId, "startedAt");
    const sequence = model.sequences.acquire();
    context.request.scope.defer(() => model.sequences.release(sequence));
    // Stamped once each (a flag, not a map lookup per token): where time to first token goes (bench, FirstTokenTimeline).
    let textSeen = false;
    let textSent = false;
    const deltas = new TextCoalescer(
      (text) => {
        context.emit({ type: "contentDelta", text });
        if (textSent) return;
        textSent = true;
        timeline.stamp(context.requestId, "firstSentAt");
      },
      input.stream === false ? Number.POSITIVE_INFINITY : DELTA_WINDOW_MS,
    );
    const pushText = (text: string) => {
      if (!textSeen) {
        textSeen = true;
        timeline.stamp(context.requestId, "firstTextAt");
      }
      deltas.push(text);
    };
    // Text generated before a cancel is part of the partial output: send it before the cancel is acknowledged.
    const thoughts = new TextCoalescer(
      (text) => context.emit({ type: "thinkingDelta", text }),
      input.stream === false ? Number.POSITIVE_INFINITY : DELTA_WINDOW_MS,
    );
    context.onCancel(() => {
      thoughts.flush();
      deltas.flush();
    });
    const stopped = (reason: string): StopReason =>
      reason !== "aborted" ? (reason as StopReason) : context.request.cancelCause === "timeout" ? "timeout" : "cancelled";
    if (needsChatTurns(input, model)) {
      try {
        const outcome = await runChatCompletion({ context, input, sequence, deltas, thoughts });
        context.services.cancelTimeline.stamp(context.requestId, "nativeStoppedAt");
        countTokens(context.services.metrics, outcome.stats);
        return { ...outcome, stopReason: stopped(outcome.stopReason), cancelReason: context.request.cancelCause };
      } finally {
        thoughts.flush();
        deltas.flush();
      }
    }
    let result;
    try {
      result = await generateCompletion({
        model,
        sequence,
        history: input.history,
        parameters: input,
        signal: context.signal,
        onText: pushText,
        onGenerating: () => timeline.stamp(context.requestId, "generatingAt"),
        onContextShift: () => {
          addMetric(context.services.metrics, "completion.contextShifts", 1);
        },
      });
    } finally {
      deltas.flush();
    }
    // The engine is back: whatever native step a cancel found running has finished (diagnostics, see CancelTimeline).
    context.services.cancelTimeline.stamp(context.requestId, "nativeStoppedAt");
    countTokens(context.services.metrics, result.stats);
    return { text: result.text, stopReason: stopped(result.stopReason), stats: result.stats, cancelReason: context.request.cancelCause };
  },
});

function addMetric(metrics: Map<string, number>, name: string, amount: number): void {
  metrics.set(name, (metrics.get(name) ?? 0) + amount);
}

/** Work the model did, cancelled runs included: a disconnect that stops the work shows as tokens not counted. */
function countTokens(metrics: Map<string, number>, stats: CompletionStats): void {
  addMetric(metrics, "completion.promptTokensEvaluated", stats.evaluatedPromptTokens);
  addMetric(metrics, "completion.tokensGenerated", stats.generatedTokens);
}
