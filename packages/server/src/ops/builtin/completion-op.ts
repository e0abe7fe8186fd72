import { completionInputSchema, type CompletionStats, type StopReason } from "@rein/protocol";
import { generateCompletion } from "../../engine/generate-completion.ts";
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
}

/**
 * Chat completion on a loaded model. Streams `{ type: "contentDelta", text }`
 * chunks; the final result carries the stop reason and stats. Cancel is hard:
 * per-sequence abort during decode, chunk boundary during prefill.
 */
export const completionOp = defineOp({
  name: "completion",
  kind: "completion",
  input: completionInputSchema,
  model: "required",
  cancel: "hard",
  // As many completions at once as the context has sequences; the rest queue.
  admission: (_input, model) => ({ maxConcurrent: model?.config.parallel }),
  async run(context, input): Promise<CompletionResult> {
    const model = context.model!;
    const sequence = model.sequences.acquire();
    context.request.scope.defer(() => model.sequences.release(sequence));
    const deltas = new TextCoalescer(
      (text) => context.emit({ type: "contentDelta", text }),
      input.stream === false ? Number.POSITIVE_INFINITY : DELTA_WINDOW_MS,
    );
    // Text generated before a cancel is part of the partial output: send it before the cancel is acknowledged.
    context.onCancel(() => deltas.flush());
    let result;
    try {
      result = await generateCompletion({
        model,
        sequence,
        history: input.history,
        parameters: input,
        signal: context.signal,
        onText: (text) => deltas.push(text),
        onContextShift: () => {
          const { metrics } = context.services;
          metrics.set("completion.contextShifts", (metrics.get("completion.contextShifts") ?? 0) + 1);
        },
      });
    } finally {
      deltas.flush();
    }
    const stopReason: StopReason =
      result.stopReason !== "aborted" ? result.stopReason : context.request.cancelCause === "timeout" ? "timeout" : "cancelled";
    return { text: result.text, stopReason, stats: result.stats, cancelReason: context.request.cancelCause };
  },
});
