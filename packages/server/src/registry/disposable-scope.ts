/**
 * A LIFO stack of cleanups owned by one request.
 *
 * Cleanups run in reverse order of registration (the last resource acquired is
 * released first), and every one runs even when an earlier one throws. `dispose()`
 * is idempotent: concurrent and repeated calls share one promise, so no cleanup
 * ever runs twice.
 *
 * @example
 * ```ts
 * const scope = new DisposableScope();
 * const sequence = context.getSequence();
 * scope.defer(() => sequence.dispose());
 * await scope.dispose(); // rejects with the error, or an AggregateError for several
 * ```
 */
export class DisposableScope {
  #cleanups: (() => unknown)[] = [];
  #disposal: Promise<void> | null = null;

  /** True once `dispose()` was called (cleanups may still be running). */
  get disposed(): boolean {
    return this.#disposal !== null;
  }

  /** Number of cleanups still waiting to run. */
  get size(): number {
    return this.#cleanups.length;
  }

  /**
   * Registers a cleanup. After `dispose()` started there is no stack left to
   * push to, so the cleanup runs at once (its errors are swallowed: nobody is
   * left to receive them, and a resource acquired too late must still be freed).
   *
   * @example
   * ```ts
   * scope.defer(() => clearInterval(heartbeat));
   * ```
   */
  defer(cleanup: () => unknown): void {
    if (typeof cleanup !== "function") throw new TypeError("DisposableScope.defer expects a function");
    if (this.#disposal === null) {
      this.#cleanups.push(cleanup);
      return;
    }
    void runCleanup(cleanup).catch(() => undefined);
  }

  /**
   * Runs every cleanup, newest first, awaiting each. Rejects with the single
   * error, or an `AggregateError` holding all of them, after all cleanups ran.
   *
   * @example
   * ```ts
   * try { await scope.dispose(); } catch (error) { log(error); }
   * ```
   */
  dispose(): Promise<void> {
    this.#disposal ??= this.#unwind();
    return this.#disposal;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  async #unwind(): Promise<void> {
    const errors: unknown[] = [];
    // Popping (instead of iterating a copy) releases each closure as soon as it ran.
    for (let cleanup = this.#cleanups.pop(); cleanup !== undefined; cleanup = this.#cleanups.pop()) {
      try {
        await runCleanup(cleanup);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanups failed`);
  }
}

// A synchronous throw is turned into a rejection so both kinds are collected alike.
async function runCleanup(cleanup: () => unknown): Promise<void> {
  await cleanup();
}
