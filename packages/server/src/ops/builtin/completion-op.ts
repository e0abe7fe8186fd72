import { completionInputSchema, type CompletionStats, type StopReason } from "@rein/protocol";
import { generateCompletion } from "../../engine/generate-completion.ts";
import type { CancelCause } from "../../registry/index.ts";
import { defineOp } from "../define-op.ts";

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
    const buffered: string[] = [];
    const result = await generateCompletion({
      model,
      sequence,
      history: input.history,
      parameters: input,
      signal: context.signal,
      onText: (text) => {
        if (input.stream === false) buffered.push(text);
        else context.emit({ type: "contentDelta", text });
      },
    });
    if (buffered.length > 0) context.emit({ type: "contentDelta", text: buffered.join("") });
    const stopReason: StopReason =
      result.stopReason !== "aborted" ? result.stopReason : context.request.cancelCause === "timeout" ? "timeout" : "cancelled";
    return { text: result.text, stopReason, stats: result.stats, cancelReason: context.request.cancelCause };
  },
});
