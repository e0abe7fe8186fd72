import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { Worker } from "node:worker_threads";

/**
 * The first of `candidates` (relative to `base`, the caller's `import.meta.url`) that exists. A thread's script
 * sits beside its module in tsc's output (`dist/<layer>/`) or in `src/<layer>/` from source; from the worker
 * bundle, which inlines the module, `base` is the bundle's URL and the script is in `dist/<layer>/` beside it.
 *
 * @example
 * ```ts
 * const script = findThreadScript(import.meta.url, ["./store-thread-main.js", "./store/store-thread-main.js", "./store-thread-main.ts"], "store thread");
 * ```
 */
export function findThreadScript(base: string, candidates: readonly string[], what: string): URL {
  for (const candidate of candidates) {
    const url = new URL(candidate, base);
    if (existsSync(url)) return url;
  }
  throw new Error(`${what} script not found beside ${base} (looked for ${candidates.join(", ")})`);
}

export interface StartScriptThreadOptions {
  workerData: unknown;
  /**
   * JavaScript source of a function `(reason: string) => message`: what the thread posts to its parent when
   * tsx or the script itself fails to load (only from source), in the parent's own message protocol.
   */
  bootstrapFailure: string;
}

/**
 * Starts `script` in a worker thread. From source (the repository's tests) the script is TypeScript, and
 * Node 20 does not pass the parent's `--import tsx` hooks on to worker threads, so the thread registers tsx
 * itself first. `node:worker_threads` is loaded here, on first use, never at worker start (~5-30 ms).
 *
 * @example
 * ```ts
 * const worker = startScriptThread(script, { workerData, bootstrapFailure: "(reason) => ({ type: 'declined', reason })" });
 * ```
 */
export function startScriptThread(script: URL, options: StartScriptThreadOptions): Worker {
  const { Worker } = process.getBuiltinModule("node:worker_threads");
  if (!script.pathname.endsWith(".ts")) return new Worker(script, { workerData: options.workerData });
  // The ES module build of tsx's API (its CommonJS build cannot register the ESM hooks from a thread).
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const bootstrap = `(async () => {
    const api = await import(${JSON.stringify(tsxApi)});
    (api.register ?? api.default.register)();
    await import(${JSON.stringify(script.href)});
  })().catch((error) => { require("node:worker_threads").parentPort.postMessage((${options.bootstrapFailure})(String(error && error.stack || error))); });`;
  return new Worker(bootstrap, { eval: true, workerData: options.workerData });
}
