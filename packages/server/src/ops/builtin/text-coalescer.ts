/**
 * Merges text deltas that arrive within a short window into one, so a fast
 * model's tokens cost one frame (one JSON encode, one pipe write, one client
 * wake-up) per window instead of one per token. The first delta after a quiet
 * spell goes out at once, so time to first token does not change; at most
 * `windowMs` of text waits.
 */
export class TextCoalescer {
  readonly #send: (text: string) => void;
  readonly #windowMs: number;
  #pending = "";
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  /** `windowMs: Infinity` holds everything until `flush()` (a non-streaming completion). */
  constructor(send: (text: string) => void, windowMs: number) {
    this.#send = send;
    this.#windowMs = windowMs;
  }

  push(text: string): void {
    this.#pending += text;
    if (this.#timer !== undefined || !Number.isFinite(this.#windowMs)) return;
    const waited = performance.now() - this.#lastSentAt;
    if (waited >= this.#windowMs) this.flush();
    else this.#timer = setTimeout(() => this.flush(), this.#windowMs - waited);
  }

  /** Sends whatever is pending now (end of generation, or a cancel that must not lose text). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const text = this.#pending;
    this.#pending = "";
    this.#lastSentAt = performance.now();
    this.#send(text);
  }
}
