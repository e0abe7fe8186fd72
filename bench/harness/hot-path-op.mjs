// A bench-only op, loaded into a bench worker through `opModules`. Plain JavaScript on purpose: a TypeScript op
// module would make the worker run under tsx's loader, and the measured worker should be the one users run.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { defineOp } from "@rein/server";
import { z } from "zod";

/** @type {import("node:perf_hooks").IntervalHistogram | undefined} */
let histogram;

/** The delay histogram's timer period: 1 ms, so a block of a few ms is seen (it costs ~1,000 wake-ups/s while on). */
const RESOLUTION_MS = 1;

const input = z.discriminatedUnion("action", [
  z.object({ action: z.literal("watchEventLoop") }).strict(),
  z.object({ action: z.literal("readEventLoop") }).strict(),
  z.object({ action: z.literal("cancelStages"), requestId: z.string() }).strict(),
]);

/**
 * `watchEventLoop` starts (or restarts) `monitorEventLoopDelay` in the worker; `readEventLoop` stops it and
 * returns the longest delay (the longest the worker's event loop could not run a timer: its longest block)
 * and percentiles, in ms; `cancelStages` returns the worker's stage times of a cancelled request
 * (`CancelTimeline`) with the worker's `performance.timeOrigin`.
 *
 * @example
 * ```ts
 * await client.call("bench.hotPath", { action: "watchEventLoop" });
 * const loop = await client.call("bench.hotPath", { action: "readEventLoop" }); // { maxMs, p99Ms, meanMs, samples }
 * ```
 */
export const benchHotPathOp = defineOp({
  name: "bench.hotPath",
  kind: "custom",
  input,
  model: "none",
  cancel: "hard",
  async run(context, request) {
    if (request.action === "watchEventLoop") {
      histogram?.disable();
      histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      histogram.enable();
      return { watching: true };
    }
    if (request.action === "readEventLoop") {
      if (histogram === undefined) return { maxMs: null, p99Ms: null, meanMs: null, samples: 0 };
      histogram.disable();
      const toMs = (nanoseconds) => nanoseconds / 1e6;
      const result = { maxMs: toMs(histogram.max), p99Ms: toMs(histogram.percentile(99)), meanMs: toMs(histogram.mean), samples: histogram.count };
      histogram = undefined;
      return result;
    }
    const stages = context.services.cancelTimeline.get(request.requestId);
    return { timeOrigin: context.services.cancelTimeline.timeOrigin, stages: stages ?? null };
  },
});
