import type { LifecycleLogEntry } from "./registry-types.ts";

/** A promise with its settle functions exposed, for cleanups a test releases by hand. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Makes a promise the test controls.
 *
 * @example
 * ```ts
 * const gate = deferred(); scope.defer(() => gate.promise); gate.resolve();
 * ```
 */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

/** Lets every queued microtask (and the promise chains they start) run. */
export async function flushMicrotasks(rounds = 10): Promise<void> {
  for (let round = 0; round < rounds; round += 1) await Promise.resolve();
}

/**
 * Reports whether a promise has settled yet, without waiting for it.
 *
 * @example
 * ```ts
 * expect(await isSettled(registry.begin(options))).toBe(false);
 * ```
 */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await flushMicrotasks();
  return settled;
}

/** Collects lifecycle lines; `events(id)` lists one request's events in order. */
export function lifecycleRecorder(): {
  lines: LifecycleLogEntry[];
  logger: (entry: LifecycleLogEntry) => void;
  events: (requestId: string) => string[];
} {
  const lines: LifecycleLogEntry[] = [];
  return {
    lines,
    logger: (entry) => lines.push(entry),
    events: (requestId) => lines.filter((line) => line.requestId === requestId).map((line) => line.event),
  };
}
