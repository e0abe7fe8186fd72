/** Bounds of a `BoundedExpiringMap`. */
export interface BoundedExpiringMapOptions {
  /** Most entries kept; inserting beyond it evicts the oldest. 0 keeps nothing. Default 1024. */
  maxEntries?: number;
  /** How long an entry lives after its last (re)insertion, in ms of `now`. Default 30 000. */
  ttlMs?: number;
  /** Clock; must not run backwards for pruning to stay exact. Default `Date.now`. */
  now?: () => number;
}

export const DEFAULT_REMEMBERED_MAX_ENTRIES = 1024;
export const DEFAULT_REMEMBERED_TTL_MS = 30_000;

interface Remembered<V> {
  value: V;
  at: number;
}

/**
 * A small map that forgets: entries expire after a TTL and the oldest is evicted
 * past a size cap. The registry uses it for cancels that arrive before their
 * request (so a stop button pressed in the same tick as "send" still wins) and
 * for tombstones of requests that ended cancelled (so a late child of a
 * cancelled parent still dies). Neither may grow without bound in a long-lived
 * worker, and neither needs a timer: the map is pruned lazily on every access.
 *
 * Map insertion order doubles as time order because a refresh re-inserts, so
 * pruning stops at the first fresh entry: O(expired) per access.
 *
 * @example
 * ```ts
 * const cancels = new BoundedExpiringMap<string, CancelReason>({ maxEntries: 128, ttlMs: 30_000 });
 * cancels.remember("request-1", "user");
 * cancels.take("request-1"); // "user", and it is gone
 * ```
 */
export class BoundedExpiringMap<K, V> {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<K, Remembered<V>>();

  constructor(options: BoundedExpiringMapOptions = {}) {
    this.maxEntries = nonNegativeInteger(options.maxEntries, DEFAULT_REMEMBERED_MAX_ENTRIES);
    this.ttlMs = nonNegativeNumber(options.ttlMs, DEFAULT_REMEMBERED_TTL_MS);
    // Read per call (not captured) so a clock swapped in later, e.g. by fake timers, is honoured.
    this.#now = options.now ?? (() => Date.now());
  }

  /** Live entries (expired ones are pruned first). */
  get size(): number {
    this.#prune(this.#now());
    return this.#entries.size;
  }

  /**
   * Remembers `key`. Remembering it again refreshes its TTL and moves it to the
   * young end but keeps the first value: the first reason given is the truth.
   *
   * @example
   * ```ts
   * map.remember("a", "user"); map.remember("a", "shutdown"); map.take("a"); // "user"
   * ```
   */
  remember(key: K, value: V): void {
    if (this.maxEntries === 0) return;
    const now = this.#now();
    this.#prune(now);
    const existing = this.#entries.get(key);
    this.#entries.delete(key);
    this.#entries.set(key, { value: existing === undefined ? value : existing.value, at: now });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.maxEntries) break;
      this.#entries.delete(oldest);
    }
  }

  /**
   * Whether `key` is remembered and fresh; it stays remembered.
   *
   * @example
   * ```ts
   * if (tombstones.has(parentRequestId)) startAborted();
   * ```
   */
  has(key: K): boolean {
    this.#prune(this.#now());
    return this.#entries.has(key);
  }

  /**
   * Returns and forgets the value of `key` (single use), or `undefined`.
   *
   * @example
   * ```ts
   * const reason = remembered.take(requestId); // undefined the second time
   * ```
   */
  take(key: K): V | undefined {
    this.#prune(this.#now());
    const found = this.#entries.get(key);
    if (found === undefined) return undefined;
    this.#entries.delete(key);
    return found.value;
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
  }

  #prune(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now - entry.at < this.ttlMs) return;
      this.#entries.delete(key);
    }
  }
}

function nonNegativeInteger(value: number | undefined, fallback: number): number {
  if (typeof value !== "number" || Number.isNaN(value)) return fallback;
  if (value === Number.POSITIVE_INFINITY) return value;
  return Math.max(0, Math.floor(value));
}

function nonNegativeNumber(value: number | undefined, fallback: number): number {
  if (typeof value !== "number" || Number.isNaN(value)) return fallback;
  return Math.max(0, value);
}
