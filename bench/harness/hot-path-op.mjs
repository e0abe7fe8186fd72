// A bench-only op, loaded into a bench worker through `opModules`. Plain JavaScript on purpose: a TypeScript op
// module would make the worker run under tsx's loader, and the measured worker should be the one users run.
import { closeSync, openSync, readSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { defineOp } from "@rein/server";
import { z } from "zod";

/** @type {import("node:perf_hooks").IntervalHistogram | undefined} */
let histogram;
/** @type {ReturnType<typeof startCpuSampler> | undefined} */
let cpuSampler;

/**
 * A long event-loop delay is either the main thread running something long (a block) or the main thread not
 * running at all (the machine gave the core to someone else). Linux's per-thread schedstat tells them apart:
 * time on the CPU and time waiting in the run queue, in ns. Read every 1 ms tick (one pread, ~10-30 µs), it
 * gives the longest stretch the main thread *ran* without letting a timer fire: its longest synchronous block.
 */
function startCpuSampler() {
  let fd;
  try {
    fd = openSync("/proc/thread-self/schedstat", "r");
  } catch {
    return undefined;
  }
  const buffer = Buffer.alloc(128);
  const read = () => {
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const [run, wait] = buffer.toString("latin1", 0, length).split(" ");
    return { run: Number(run) / 1e6, wait: Number(wait) / 1e6 };
  };
  const state = { longestRunMs: 0, longestGapMs: 0, gapRunMs: 0, gapWaitMs: 0 };
  let last = { at: performance.now(), ...read() };
  const timer = setInterval(() => {
    const now = { at: performance.now(), ...read() };
    const gap = now.at - last.at;
    const ran = now.run - last.run;
    if (ran > state.longestRunMs) state.longestRunMs = ran;
    if (gap > state.longestGapMs) Object.assign(state, { longestGapMs: gap, gapRunMs: ran, gapWaitMs: now.wait - last.wait });
    last = now;
  }, RESOLUTION_MS);
  return {
    stop() {
      clearInterval(timer);
      closeSync(fd);
      return state;
    },
  };
}

/** The delay histogram's timer period: 1 ms, so a block of a few ms is seen (it costs ~1,000 wake-ups/s while on). */
const RESOLUTION_MS = 1;

const input = z.discriminatedUnion("action", [
  z.object({ action: z.literal("watchEventLoop") }).strict(),
  z.object({ action: z.literal("readEventLoop") }).strict(),
  z.object({ action: z.literal("cancelStages"), requestId: z.string() }).strict(),
  z.object({ action: z.literal("firstTokenStages"), requestIds: z.array(z.string()) }).strict(),
]);

/**
 * `watchEventLoop` starts (or restarts) `monitorEventLoopDelay` in the worker; `readEventLoop` stops it and
 * returns the longest delay (the longest the worker's event loop could not run a timer) and percentiles, in
 * ms, with the main thread's schedstat split (`cpu`: its longest on-CPU stretch between two ticks, and how
 * the longest delay divides into running and waiting for a core; null off Linux); `cancelStages` returns the worker's stage times of a cancelled request
 * (`CancelTimeline`) with the worker's `performance.timeOrigin`; `firstTokenStages` the stage times of calls on their way to
 * the first text (`FirstTokenTimeline`), one entry (or null) per requestId.
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
      cpuSampler?.stop();
      histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      histogram.enable();
      cpuSampler = startCpuSampler();
      return { watching: true };
    }
    if (request.action === "readEventLoop") {
      if (histogram === undefined) return { maxMs: null, p99Ms: null, meanMs: null, samples: 0, cpu: null };
      histogram.disable();
      const cpu = cpuSampler?.stop() ?? null;
      const toMs = (nanoseconds) => nanoseconds / 1e6;
      const result = { maxMs: toMs(histogram.max), p99Ms: toMs(histogram.percentile(99)), meanMs: toMs(histogram.mean), samples: histogram.count, cpu };
      histogram = undefined;
      cpuSampler = undefined;
      return result;
    }
    if (request.action === "firstTokenStages") {
      const timeline = context.services.firstTokenTimeline;
      return { timeOrigin: timeline.timeOrigin, stages: request.requestIds.map((requestId) => timeline.get(requestId) ?? null) };
    }
    const stages = context.services.cancelTimeline.get(request.requestId);
    return { timeOrigin: context.services.cancelTimeline.timeOrigin, stages: stages ?? null };
  },
});
