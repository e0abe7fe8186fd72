import { InferenceCancelledError, RequestTimeoutError, type ChatMessage } from "@rein/protocol";
import type { CompletionRun } from "./completion-run.ts";

/**
 * The history for the next turn after `run`, by the history-trim rule: a
 * cancelled or timed-out assistant turn is partial, so by default it is left
 * out (together with nothing else: the user's message stays, ready to be
 * answered again or edited; a cancelled tool loop's steps go with it). With `keepPartial: true` the partial text is kept
 * as the assistant's turn, for apps that show and continue it. Other failures
 * reject.
 *
 * @example
 * ```ts
 * const run = client.completion({ modelId, history });
 * // ... the user pressed Stop ...
 * history = await nextHistory(history, run);              // partial reply dropped
 * history.push({ role: "user", content: "Shorter, please." });
 * ```
 */
export async function nextHistory(
  history: readonly ChatMessage[],
  run: CompletionRun,
  options: { keepPartial?: boolean } = {},
): Promise<ChatMessage[]> {
  try {
    const final = await run.final;
    // Its assistant turns with their tool calls and results, as the next completion() accepts them.
    return [...history, ...final.messages];
  } catch (error) {
    if (!InferenceCancelledError.isInstance(error) && !RequestTimeoutError.isInstance(error)) throw error;
    const partial = error.partial.text ?? "";
    return options.keepPartial && partial.length > 0 ? [...history, { role: "assistant", content: partial }] : [...history];
  }
}
