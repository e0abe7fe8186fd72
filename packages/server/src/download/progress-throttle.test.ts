import type { ProgressEvent } from "@rein/protocol";
import { describe, expect, it } from "vitest";
import { ProgressThrottle, RateMeter } from "./progress-throttle.ts";

describe("ProgressThrottle", () => {
  it("emits at most one event per interval and always emits the final done event", () => {
    let now = 0;
    const events: ProgressEvent[] = [];
    const throttle = new ProgressThrottle((event) => events.push(event), 100, () => now);
    for (let loaded = 0; loaded <= 1000; loaded += 10) {
      throttle.update(loaded, 1000, 5);
      now += 7;
    }
    // 101 updates at 0, 7, ..., 700 ms -> emitted at 0, 105, 210, ..., 630 ms.
    expect(events.length).toBe(7);
    expect(events[0]).toEqual({ phase: "download", loaded: 0, total: 1000, bytesPerSecond: 5, done: false });
    throttle.finish(1000, 5);
    throttle.finish(1000, 5);
    throttle.update(1000, 1000, 5);
    expect(events.at(-1)).toEqual({ phase: "download", loaded: 1000, total: 1000, bytesPerSecond: 5, done: true });
    expect(events.filter((event) => event.done)).toHaveLength(1);
  });
});

describe("RateMeter", () => {
  it("measures bytes per second over the recent window", () => {
    let now = 0;
    const meter = new RateMeter({ windowMs: 1000, now: () => now });
    expect(meter.bytesPerSecond()).toBe(0);
    // 1 MB/s for 3 s, then 100 kB/s for 2 s: the window only sees the slow part.
    for (; now <= 3000; now += 10) meter.sample(now * 1000);
    expect(meter.bytesPerSecond()).toBeGreaterThan(900_000);
    const base = 3_000_000;
    for (let t = 0; t <= 2000; t += 10, now += 10) meter.sample(base + t * 100);
    const rate = meter.bytesPerSecond();
    expect(rate).toBeGreaterThan(90_000);
    expect(rate).toBeLessThan(120_000);
  });
});
