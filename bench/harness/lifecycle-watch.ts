import type { LogMessage } from "@rein/protocol";

/**
 * Follows the worker's request lifecycle log as it reaches the client, to
 * time when the worker really finished a request (its `end` line: native work
 * stopped, cleanup done, the model slot free again). A cancelled run's
 * `completionDone` can arrive earlier, as soon as the worker acknowledges the
 * cancel; the `end` line is what the prefill-cancel target is about.
 *
 * @example
 * ```ts
 * const watch = new LifecycleWatch();
 * const client = createClient({ logger: watch.logger });
 * const ended = await watch.endOf(run.requestId); // performance.now() at arrival, or null
 * ```
 */
export class LifecycleWatch {
  readonly #ended = new Map<string, number>();
  readonly #waiting = new Map<string, (at: number) => void>();

  /** Pass as the client's `logger`. */
  readonly logger = (message: LogMessage): void => {
    const data = message.data as { event?: unknown; requestId?: unknown } | undefined;
    if (data?.event !== "end" || typeof data.requestId !== "string") return;
    const at = performance.now();
    const waiter = this.#waiting.get(data.requestId);
    if (waiter === undefined) {
      this.#ended.set(data.requestId, at);
      // Nobody may ever ask about most requests (soak, control path): keep only the latest ones.
      if (this.#ended.size > 1_000) this.#ended.delete(this.#ended.keys().next().value!);
      return;
    }
    this.#waiting.delete(data.requestId);
    waiter(at);
  };

  /** When the `end` line of `requestId` arrived (now or later); null if none came within `timeoutMs` (a request the worker never saw). */
  endOf(requestId: string, timeoutMs = 30_000): Promise<number | null> {
    const at = this.#ended.get(requestId);
    if (at !== undefined) {
      this.#ended.delete(requestId);
      return Promise.resolve(at);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(requestId);
        resolve(null);
      }, timeoutMs);
      this.#waiting.set(requestId, (arrivedAt) => {
        clearTimeout(timer);
        resolve(arrivedAt);
      });
    });
  }
}
