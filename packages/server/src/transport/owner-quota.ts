/**
 * How many requests each owner (API key) may have in flight at once, across
 * all of its connections: one key cannot fill the queues of a shared server.
 * Requests of callers without an owner (the local app, an admin key) are not
 * counted.
 *
 * @example
 * ```ts
 * const quota = new OwnerQuota(64);
 * if (!quota.take("key-1")) throw rejection;
 * try { await run(); } finally { quota.release("key-1"); }
 * ```
 */
export class OwnerQuota {
  readonly limit: number;
  readonly #inFlight = new Map<string, number>();

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Counts one more request for `owner`; false (and nothing counted) when it is at the limit. */
  take(owner: string): boolean {
    const current = this.#inFlight.get(owner) ?? 0;
    if (current >= this.limit) return false;
    this.#inFlight.set(owner, current + 1);
    return true;
  }

  release(owner: string): void {
    const current = this.#inFlight.get(owner) ?? 0;
    if (current <= 1) this.#inFlight.delete(owner);
    else this.#inFlight.set(owner, current - 1);
  }

  inFlight(owner: string): number {
    return this.#inFlight.get(owner) ?? 0;
  }
}
