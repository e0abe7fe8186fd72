import type { Interface } from "node:readline";

/**
 * Turns readline's `line` events into lines the chat loop awaits one at a
 * time. A pipe can deliver many lines at once (or before the model is even
 * loaded): they wait here, in order, instead of being lost.
 *
 * @example
 * ```ts
 * const lines = new LineQueue(readlineInterface);
 * const line = await lines.next(); // null: input ended or the user asked to leave
 * ```
 */
export class LineQueue {
  readonly #pending: string[] = [];
  #waiter: ((line: string | null) => void) | null = null;
  #ended = false;

  constructor(readline: Interface) {
    readline.on("line", (line) => this.#deliver(line));
    // End of input: the lines already queued are still answered.
    readline.on("close", () => this.end({ discardQueued: false }));
  }

  /** The next line; null once the input has ended (EOF, Ctrl+D) or `end()` was called, after the queued lines. */
  next(): Promise<string | null> {
    const line = this.#pending.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /** No more lines: a pending `next()` resolves with null now; queued lines go too unless `discardQueued` is false. */
  end(options: { discardQueued?: boolean } = {}): void {
    this.#ended = true;
    if (options.discardQueued !== false) this.#pending.length = 0;
    if (this.#pending.length === 0) this.#wake(null);
  }

  #deliver(line: string): void {
    if (this.#ended) return;
    if (this.#waiter) this.#wake(line);
    else this.#pending.push(line);
  }

  #wake(line: string | null): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.(line);
  }
}
