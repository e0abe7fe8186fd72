import { setImmediate as nextTurn } from "node:timers/promises";
import { defineOp } from "@rein/server";
import { z } from "zod";

/** The worker's memory, after a full garbage collection when the worker runs with `--expose-gc`. */
export interface WorkerMemory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  collected: boolean;
}

/**
 * A bench-only custom op (loaded into the soak's worker through `opModules`):
 * collects garbage, then reports `process.memoryUsage()`. Without a collection
 * first, heap numbers mostly measure garbage that was not collected yet; with
 * it, RSS growth that remains is native (llama.cpp, allocator, Buffers).
 *
 * @example
 * ```ts
 * const memory = await client.call<WorkerMemory>("bench.memory", {});
 * ```
 */
export const benchMemoryOp = defineOp({
  name: "bench.memory",
  kind: "custom",
  input: z.object({}).strict(),
  model: "none",
  cancel: "hard",
  async run(): Promise<WorkerMemory> {
    const collect = (globalThis as { gc?: () => void }).gc;
    for (let pass = 0; pass < 2 && collect !== undefined; pass += 1) {
      collect();
      await nextTurn();
    }
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    return { rss, heapUsed, external, arrayBuffers, collected: collect !== undefined };
  },
});
