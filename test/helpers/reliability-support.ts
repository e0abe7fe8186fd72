/**
 * Small building blocks for the reliability tests: a bounded wait that turns
 * "this promise never settled" into a failing assertion instead of a hung
 * test, a seeded PRNG for the soak, and a watcher for process warnings.
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the custom ops module the reliability tests load into workers (`opModules`). */
export const RELIABILITY_OPS_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), "reliability-ops.ts");

export type Settlement<T> = { status: "fulfilled"; value: T } | { status: "rejected"; reason: unknown };

/** Thrown by {@link settleWithin} when the promise is still pending at the bound: the "no call may hang" rule broke. */
export class StillPendingError extends Error {
  override name = "StillPendingError";
}

/**
 * Resolves with how `promise` settled, or rejects with StillPendingError when it
 * has not settled within `boundMs`. The bound is a generous safety net, never a
 * timing assertion.
 *
 * @example
 * ```ts
 * const outcome = await settleWithin(client.loadModel({ modelSrc }), 5_000, "loadModel");
 * expect(outcome.status).toBe("rejected");
 * ```
 */
export function settleWithin<T>(promise: Promise<T>, boundMs: number, label: string): Promise<Settlement<T>> {
  let timer: NodeJS.Timeout | undefined;
  const limitMs = Math.round(boundMs * loadFactor());
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StillPendingError(`${label} was still pending after ${limitMs} ms (bound ${boundMs} ms x machine load)`)), limitMs);
  });
  const settled = promise.then(
    (value): Settlement<T> => ({ status: "fulfilled", value }),
    (reason: unknown): Settlement<T> => ({ status: "rejected", reason }),
  );
  return Promise.race([settled, bound]).finally(() => clearTimeout(timer));
}

/**
 * How much slower than an idle machine this one runs now: the 1-minute load
 * average per core, between 1 and 10. The bounds are safety nets that turn a
 * hang into a failure; on a CI machine running several suites at once (load
 * 20 on 2 cores was seen) a call that settles normally can take ten times its
 * idle time, and a net that fires then is a failure by chance. A real hang
 * never settles, so a wider net still catches it.
 */
export function loadFactor(): number {
  const perCore = os.loadavg()[0]! / os.availableParallelism();
  return Math.min(10, Math.max(1, perCore));
}

/** The rejection reason of a settlement, or a failure when it fulfilled. */
export function reasonOf<T>(settlement: Settlement<T>): unknown {
  if (settlement.status === "fulfilled") throw new Error(`expected a rejection, got ${JSON.stringify(settlement.value)}`);
  return settlement.reason;
}

/** Drains an async iterable within a bound; resolves with the events seen and the error that ended it (if any). */
export async function drainWithin<T>(iterable: AsyncIterable<T>, boundMs: number, label: string): Promise<{ events: T[]; error: unknown }> {
  const events: T[] = [];
  const drained = (async () => {
    for await (const event of iterable) events.push(event);
  })();
  const outcome = await settleWithin(drained, boundMs, label);
  return { events, error: outcome.status === "rejected" ? outcome.reason : undefined };
}

/**
 * mulberry32: a tiny seeded PRNG, so a failing soak run can be replayed with
 * its seed.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random.int(10); // 0..9, the same sequence for the same seed
 * ```
 */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** An integer in [0, bound). */
    int: (bound: number): number => Math.floor(next() * bound),
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
    /** Picks a key with probability proportional to its weight. */
    weighted: <K extends string>(weights: Record<K, number>): K => {
      const entries = Object.entries(weights) as [K, number][];
      const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
      let roll = next() * total;
      for (const [key, weight] of entries) {
        roll -= weight;
        if (roll < 0) return key;
      }
      return entries[entries.length - 1]![0];
    },
  };
}

/** Collects every process warning of the given name while installed (MaxListenersExceededWarning). */
export function watchWarnings(name = "MaxListenersExceededWarning") {
  const seen: Error[] = [];
  const listener = (warning: Error) => {
    if (warning.name === name) seen.push(warning);
  };
  process.on("warning", listener);
  return {
    seen,
    stop: () => process.off("warning", listener),
  };
}

/** Counts of `process.getActiveResourcesInfo()` by resource type. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Resource types whose count is above the baseline's. */
export function resourcesAbove(baseline: Record<string, number>, now: Record<string, number>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, count] of Object.entries(now)) {
    const over = count - (baseline[type] ?? 0);
    if (over > 0) extra[type] = over;
  }
  return extra;
}

/**
 * Waits for handles that close asynchronously after `close()` (the child's
 * pipes close a few event-loop turns after its exit), polling each turn with a
 * bounded number of turns instead of a sleep.
 */
export async function resourcesBackTo(baseline: Record<string, number>, turns = 2_000): Promise<Record<string, number>> {
  let extra = resourcesAbove(baseline, activeResources());
  for (let turn = 0; turn < turns && Object.keys(extra).length > 0; turn += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    extra = resourcesAbove(baseline, activeResources());
  }
  return extra;
}

/**
 * Live child processes of this process (Linux /proc): a worker the client lost
 * track of shows up here. Zombies (exited, not yet reaped) are not counted.
 */
export async function liveChildPids(): Promise<number[]> {
  const { readdir, readFile } = await import("node:fs/promises");
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    // Format: pid (comm) state ppid ...; comm may contain spaces, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[1]) === process.pid && fields[0] !== "Z") pids.push(Number(name));
  }
  return pids;
}
