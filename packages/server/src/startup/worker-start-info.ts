import type { CodeCacheUse } from "./code-cache.ts";

/** What dist/worker-start.cjs tells the bundled worker it runs: how it was compiled, and how to save that. */
export interface WorkerStartInfo {
  codeCache: CodeCacheUse;
  /** Writes the V8 code cache if this start had none (idempotent). */
  writeCodeCache(): boolean;
}

const KEY = Symbol.for("rein.workerStart");

/**
 * Published by the built worker's loader before it runs the bundle.
 *
 * @example
 * ```ts
 * publishWorkerStart({ codeCache: script.cache, writeCodeCache: () => script.writeCache() });
 * ```
 */
export function publishWorkerStart(info: WorkerStartInfo): void {
  (globalThis as Record<symbol, unknown>)[KEY] = info;
}

/**
 * The loader's info, or `undefined` for a worker run from source (tests) or an app's own worker entry.
 *
 * @example
 * ```ts
 * workerStart()?.writeCodeCache();
 * ```
 */
export function workerStart(): WorkerStartInfo | undefined {
  return (globalThis as Record<symbol, WorkerStartInfo | undefined>)[KEY];
}
