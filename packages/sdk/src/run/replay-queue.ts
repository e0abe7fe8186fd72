/**
 * An append-only event log that any number of async iterators read from the
 * start. Ends normally, or with an error that the readers' next pull throws
 * (a stream must never just stop without saying why).
 */
export class ReplayQueue<T> {
  readonly #items: T[] = [];
  readonly #waiters = new Set<() => void>();
  #ended = false;
  #error: unknown = undefined;
  #failed = false;

  get ended(): boolean {
    return this.#ended;
  }

  push(item: T): void {
    if (this.#ended) return;
    this.#items.push(item);
    this.#wake();
  }

  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error !== undefined) {
      this.#failed = true;
      this.#error = error;
    }
    this.#wake();
  }

  iterate(onEarlyExit: () => void): AsyncIterator<T> & AsyncIterable<T> {
    let index = 0;
    let closed = false;
    const queue = this;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<T>> {
        if (closed) return { value: undefined, done: true };
        while (index >= queue.#items.length && !queue.#ended) {
          await new Promise<void>((resolve) => queue.#waiters.add(resolve));
        }
        if (index < queue.#items.length) return { value: queue.#items[index++] as T, done: false };
        closed = true;
        if (queue.#failed) throw queue.#error;
        return { value: undefined, done: true };
      },
      async return(): Promise<IteratorResult<T>> {
        // break / return / throw inside `for await`: the reader is gone before the end.
        if (!queue.#ended && !closed) onEarlyExit();
        closed = true;
        return { value: undefined, done: true };
      },
    };
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }
}
