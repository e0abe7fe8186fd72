import type { LlamaContextSequence } from "node-llama-cpp";

/**
 * Makes room in a full sequence without evaluating anything: erases `size` tokens right after the first
 * `keep` tokens (the prompt, or its first half for very long prompts) and lets llama.cpp shift the positions of
 * the rest in its KV cache.
 *
 * Why not node-llama-cpp's own context shift: LlamaCompletion drops the *beginning* of the context and evaluates
 * everything that remains again, in one native call that does not look at the abort signal. On the tiny model
 * at `ctx_size` 2048 that is ~1,800 tokens and 0.3-0.9 s during which a cancel waits and the stream stalls.
 * Erasing a range that does not start at position 0 is a native cell removal and shift (node-llama-cpp
 * re-evaluates only when the range starts at the first cached position), so a cancel stays within one decode
 * step and the prompt stays in view, as llama.cpp's server does with `n_keep`.
 */
export async function shiftContextWindow(options: { sequence: LlamaContextSequence; promptTokens: number }): Promise<{ erased: number }> {
  const { sequence } = options;
  const contextSize = sequence.context.contextSize;
  const keep = Math.max(1, Math.min(options.promptTokens, Math.floor(contextSize / 2)));
  const size = Math.max(1, Math.min(contextShiftSize(contextSize), sequence.nextTokenIndex - keep - 1));
  await sequence.eraseContextTokenRanges([{ start: keep, end: keep + size }]);
  return { erased: size };
}

/** How many tokens one shift frees: a tenth of the context, as node-llama-cpp's own default. */
export function contextShiftSize(contextSize: number): number {
  return Math.max(1, Math.floor(contextSize / 10));
}
