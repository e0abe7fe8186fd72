import type { CancelResult } from "@rein/protocol";

/** A promise of an operation's result that also carries the request's id and a way to stop it. */
export type DecoratedPromise<T> = Promise<T> & {
  readonly requestId: string;
  /** Same as `client.cancel({ requestId })`. */
  cancel(): Promise<CancelResult>;
};

export function decoratePromise<T>(promise: Promise<T>, requestId: string, cancel: () => Promise<CancelResult>): DecoratedPromise<T> {
  return Object.assign(promise, { requestId, cancel });
}

/**
 * Marks a promise as handled without changing what awaiting it gives. A run's
 * `text` or `stats` that nobody awaits must not crash the process with an
 * unhandled rejection when the run is cancelled.
 */
export function quietly<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
