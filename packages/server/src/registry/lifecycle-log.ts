import type { RequestKind } from "@rein/protocol";
import type { LifecycleLogEntry } from "./registry-types.ts";
import type { RequestEntry } from "./request-entry.ts";

/**
 * Turns registry events into `LifecycleLogEntry` lines. A logger that throws is
 * ignored: logging must never break admission or cleanup.
 *
 * @example
 * ```ts
 * const log = new LifecycleLog((line) => console.log(line), Date.now);
 * log.request("begin", entry);
 * ```
 */
export class LifecycleLog {
  readonly #logger: ((entry: LifecycleLogEntry) => void) | undefined;
  readonly #now: () => number;

  constructor(logger: ((entry: LifecycleLogEntry) => void) | undefined, now: () => number) {
    this.#logger = logger;
    this.#now = now;
  }

  /**
   * Logs an event of a request that has an entry, with its current state.
   *
   * @example
   * ```ts
   * log.request("cancel", entry, "modelUnloaded");
   * ```
   */
  request(event: LifecycleLogEntry["event"], entry: RequestEntry, reason?: string): void {
    if (this.#logger === undefined) return;
    const line: LifecycleLogEntry = {
      event,
      requestId: entry.requestId,
      kind: entry.kind,
      modelId: entry.modelId,
      state: entry.state,
      durationMs: this.#now() - entry.startedAt,
    };
    if (reason !== undefined) line.reason = reason;
    this.#emit(line);
  }

  /**
   * Logs a begin that threw; such a request may never have had an entry.
   *
   * @example
   * ```ts
   * log.rejected({ requestId, kind, modelId, startedAt }, "request id conflict");
   * ```
   */
  rejected(request: { requestId: string; kind: RequestKind; modelId: string | null; startedAt: number }, reason: string): void {
    if (this.#logger === undefined) return;
    const { requestId, kind, modelId, startedAt } = request;
    this.#emit({ event: "rejected", requestId, kind, modelId, state: "failed", durationMs: this.#now() - startedAt, reason });
  }

  #emit(line: LifecycleLogEntry): void {
    try {
      this.#logger?.(line);
    } catch {
      // Deliberately ignored, see the class comment.
    }
  }
}

/**
 * One line describing why cleanups failed, for the "end" log entry.
 *
 * @example
 * ```ts
 * describeFailure(new AggregateError([new Error("a"), new Error("b")])); // "Error: a, Error: b"
 * ```
 */
export function describeFailure(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(describeFailure).join(", ");
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
