/**
 * An append-only event log that any number of async iterators read from the
 * start. Ends normally, or with an error that the readers' next pull throws
 * (a stream must never just stop without saying why).
 *
 * Bounded: once more than `compactAbove` items are buffered, runs of adjacent
 * items that `merge` can join (a completion's text deltas) are joined into one,
 * so a 100k-token run keeps a few hundred items, not 100k. A reader never
 * loses content: items are only joined where no open reader stands between
 * them, so each reader still sees every item it has not read, possibly in
 * fewer, longer pieces.
 */
export interface ReplayQueueOptions<T> {
  /** Joins two adjacent items into one, or returns undefined when they must stay apart. */
  merge?: (earlier: T, later: T) => T | undefined;
  /** Buffered items above which the queue joins what `merge` allows (default 1,024). */
  compactAbove?: number;
}

interface Reader {
  /** Index of the next item this reader reads. */
  index: number;
}

export const DEFAULT_COMPACT_ABOVE = 1_024;

export class ReplayQueue<T> {
  #items: T[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #readers = new Set<Reader>();
  readonly #merge: ((earlier: T, later: T) => T | undefined) | undefined;
  readonly #compactAbove: number;
  #compactAt: number;
  #ended = false;
  #error: unknown = undefined;
  #failed = false;

  constructor(options: ReplayQueueOptions<T> = {}) {
    this.#merge = options.merge;
    this.#compactAbove = Math.max(2, options.compactAbove ?? DEFAULT_COMPACT_ABOVE);
    this.#compactAt = this.#compactAbove;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Items held for replay right now (bounded by compaction when `merge` is given). */
  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    if (this.#ended) return;
    this.#items.push(item);
    if (this.#merge && this.#items.length > this.#compactAt) this.#compact(this.#merge);
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
    const reader: Reader = { index: 0 };
    let closed = false;
    const queue = this;
    queue.#readers.add(reader);
    const close = () => {
      closed = true;
      queue.#readers.delete(reader);
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<T>> {
        if (closed) return { value: undefined, done: true };
        while (reader.index >= queue.#items.length && !queue.#ended) {
          await new Promise<void>((resolve) => queue.#waiters.add(resolve));
        }
        if (reader.index < queue.#items.length) return { value: queue.#items[reader.index++] as T, done: false };
        close();
        if (queue.#failed) throw queue.#error;
        return { value: undefined, done: true };
      },
      async return(): Promise<IteratorResult<T>> {
        // break / return / throw inside `for await`: the reader is gone before the end.
        if (!queue.#ended && !closed) onEarlyExit();
        close();
        return { value: undefined, done: true };
      },
    };
  }

  /** Joins mergeable neighbours that no open reader stands between, and moves each reader to its new index. */
  #compact(merge: (earlier: T, later: T) => T | undefined): void {
    const readersAt = new Map<number, Reader[]>();
    for (const reader of this.#readers) readersAt.set(reader.index, [...(readersAt.get(reader.index) ?? []), reader]);
    const compacted: T[] = [];
    for (let index = 0; index < this.#items.length; index += 1) {
      const item = this.#items[index] as T;
      const waiting = readersAt.get(index);
      if (waiting) for (const reader of waiting) reader.index = compacted.length;
      const joined = !waiting && compacted.length > 0 ? merge(compacted[compacted.length - 1] as T, item) : undefined;
      if (joined === undefined) compacted.push(item);
      else compacted[compacted.length - 1] = joined;
    }
    for (const reader of readersAt.get(this.#items.length) ?? []) reader.index = compacted.length;
    this.#items = compacted;
    // Items that cannot be joined (reader boundaries, other event types) must not make every push compact again.
    this.#compactAt = Math.max(this.#compactAbove, compacted.length * 2);
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }
}
