interface IdleWaiter {
  readonly modelId: string | undefined;
  readonly resolve: () => void;
}

/**
 * Counts live requests per model, from the moment they enter the registry until
 * their cleanup finished, and resolves `whenIdle` promises. Unload waits on this,
 * so a model is freed only after its cancelled requests let go of native state.
 * A model's counter is deleted at zero so unloaded models leave no trace.
 *
 * @example
 * ```ts
 * tracker.add("model-a");
 * const idle = tracker.whenIdle("model-a");
 * tracker.remove("model-a"); // idle resolves
 * ```
 */
export class IdleTracker {
  readonly #liveByModel = new Map<string | null, number>();
  readonly #waiters = new Set<IdleWaiter>();
  #liveTotal = 0;

  /** Requests counted as live (all models). */
  get liveCount(): number {
    return this.#liveTotal;
  }

  /** Pending `whenIdle` promises. */
  get waiterCount(): number {
    return this.#waiters.size;
  }

  add(modelId: string | null): void {
    this.#liveByModel.set(modelId, (this.#liveByModel.get(modelId) ?? 0) + 1);
    this.#liveTotal += 1;
  }

  remove(modelId: string | null): void {
    const count = this.#liveByModel.get(modelId);
    if (count === undefined) return;
    if (count <= 1) this.#liveByModel.delete(modelId);
    else this.#liveByModel.set(modelId, count - 1);
    this.#liveTotal -= 1;
    if (this.#waiters.size === 0) return;
    for (const waiter of this.#waiters) {
      if (!this.#isIdle(waiter.modelId)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }

  /**
   * Resolves when nothing (on `modelId`, when given) is live.
   *
   * @example
   * ```ts
   * registry.cancel({ modelId }, "modelUnloaded"); await tracker.whenIdle(modelId);
   * ```
   */
  whenIdle(modelId?: string): Promise<void> {
    if (this.#isIdle(modelId)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ modelId, resolve }));
  }

  #isIdle(modelId: string | undefined): boolean {
    return modelId === undefined ? this.#liveTotal === 0 : !this.#liveByModel.has(modelId);
  }
}
