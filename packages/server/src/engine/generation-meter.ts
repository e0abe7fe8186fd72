import type { CompletionStats } from "@rein/protocol";

/**
 * Counts the tokens a generation produced and times it from its start, for the `CompletionStats` a completion
 * (plain or LlamaChat turn) reports whenever it ends: finished, stopped or cancelled.
 *
 * @example
 * ```ts
 * const meter = new GenerationMeter(promptTokens.length);
 * onToken: (tokens) => meter.count(tokens.length),
 * return { stats: meter.stats(evaluatedPromptTokens) };
 * ```
 */
export class GenerationMeter {
  readonly #startedAt: number;
  #firstTokenAt: number | null = null;
  generatedTokens = 0;

  /** `startedAt`: when the request's work began (before tokenizing), so time to first token counts all of it. */
  constructor(
    readonly promptTokens: number,
    startedAt = performance.now(),
  ) {
    this.#startedAt = startedAt;
  }

  count(tokens: number): void {
    this.generatedTokens += tokens;
    this.#firstTokenAt ??= performance.now();
  }

  stats(evaluatedPromptTokens: number): CompletionStats {
    const now = performance.now();
    const firstTokenAt = this.#firstTokenAt;
    const decodeMs = firstTokenAt == null ? 0 : now - firstTokenAt;
    const generated = this.generatedTokens;
    return {
      promptTokens: this.promptTokens,
      evaluatedPromptTokens,
      generatedTokens: generated,
      timeToFirstTokenMs: firstTokenAt == null ? null : firstTokenAt - this.#startedAt,
      durationMs: now - this.#startedAt,
      tokensPerSecond: generated > 1 && decodeMs > 0 ? ((generated - 1) * 1000) / decodeMs : null,
    };
  }
}
