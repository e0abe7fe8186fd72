/**
 * How many llama.cpp threads a model gets. More threads than cores never
 * helps: llama.cpp's threads spin-wait for each other, and decode collapses
 * (tiny model on 2 cores: 482 tok/s with 1 thread, 6 with 2 and 1 with 4 while
 * other work ran; docs/decisions.md). So a request above the cores is clamped,
 * and the clamp is never silent: it is a process warning (stderr by default).
 */
import os from "node:os";

/** `code` of the process warning emitted when a thread count is clamped. */
export const THREADS_CLAMPED_WARNING = "REIN_THREADS_CLAMPED";

const warned = new Set<string>();

/** `REIN_THREADS` when it is a positive integer, else half the cores (at least 1). */
export function defaultThreadCount(env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): number {
  const fromEnvironment = Number(env.REIN_THREADS);
  if (Number.isInteger(fromEnvironment) && fromEnvironment > 0) return fromEnvironment;
  // node-llama-cpp itself defaults to at least 4 threads, which collapses decode on small machines.
  return Math.max(1, Math.floor(cores / 2));
}

/**
 * Returns `threads`, or the core count when `threads` is larger, warning once
 * per source and value. `source` names where the number came from, for the warning.
 *
 * @example
 * ```ts
 * clampThreads(4, "createClient({ threads })"); // 2 on a 2-core machine, with a REIN_THREADS_CLAMPED warning
 * ```
 */
export function clampThreads(threads: number, source: string, cores = os.availableParallelism()): number {
  if (!Number.isFinite(threads) || threads <= cores) return threads;
  const key = `${source}:${threads}:${cores}`;
  if (!warned.has(key)) {
    warned.add(key);
    process.emitWarning(
      `${source} asks for ${threads} threads, but this machine has ${cores} CPU cores available; Rein uses ${cores}. More llama.cpp threads than cores collapses decode speed.`,
      { type: "ReinWarning", code: THREADS_CLAMPED_WARNING },
    );
  }
  return cores;
}
