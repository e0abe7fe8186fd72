/**
 * Node clamps delays above 2^31 - 1 ms to 1 ms (with only a warning), which would
 * fire a far deadline at once. Longer delays are chained in steps of this size.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** A handle from `TrackedTimers.start`; pass it back to `clear`. */
export interface TrackedTimer {
  /** @internal the current Node handle; replaced at each step of a long delay. */
  handle: ReturnType<typeof setTimeout> | null;
}

/**
 * Plain `setTimeout` timers with a live count, so leak tests can assert that
 * every timer the registry started was cleared or fired. Timers are not
 * unref'd: a request with a deadline is real work that should keep the worker
 * alive, and every path that ends a request clears its timers.
 *
 * @example
 * ```ts
 * const timers = new TrackedTimers();
 * const timer = timers.start(5_000, () => abort("timeout"));
 * timers.clear(timer); // timers.pendingCount === 0
 * ```
 */
export class TrackedTimers {
  #pending = 0;

  /** Timers started and neither fired nor cleared. */
  get pendingCount(): number {
    return this.#pending;
  }

  /**
   * Calls `callback` once after `delayMs` (negative and NaN mean 0).
   *
   * @example
   * ```ts
   * const timer = timers.start(deadline - now(), onDeadline);
   * ```
   */
  start(delayMs: number, callback: () => void): TrackedTimer {
    const timer: TrackedTimer = { handle: null };
    this.#pending += 1;
    const remaining = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs);
    this.#arm(timer, remaining, callback);
    return timer;
  }

  /**
   * Cancels `timer` if it is still pending; safe to call twice or with null.
   *
   * @example
   * ```ts
   * timers.clear(entry.deadlineTimer); entry.deadlineTimer = null;
   * ```
   */
  clear(timer: TrackedTimer | null): void {
    if (timer === null || timer.handle === null) return;
    clearTimeout(timer.handle);
    timer.handle = null;
    this.#pending -= 1;
  }

  #arm(timer: TrackedTimer, remaining: number, callback: () => void): void {
    const step = Math.min(remaining, MAX_TIMER_DELAY_MS);
    timer.handle = setTimeout(() => {
      if (remaining > step) {
        this.#arm(timer, remaining - step, callback);
        return;
      }
      timer.handle = null;
      this.#pending -= 1;
      callback();
    }, step);
  }
}
