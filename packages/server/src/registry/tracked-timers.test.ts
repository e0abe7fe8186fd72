import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_TIMER_DELAY_MS, TrackedTimers } from "./tracked-timers.ts";

describe("TrackedTimers", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("counts pending timers until they fire or are cleared", () => {
    const timers = new TrackedTimers();
    const fired: string[] = [];
    const first = timers.start(10, () => fired.push("first"));
    timers.start(20, () => fired.push("second"));
    expect(timers.pendingCount).toBe(2);
    timers.clear(first);
    timers.clear(first);
    timers.clear(null);
    expect(timers.pendingCount).toBe(1);
    vi.advanceTimersByTime(20);
    expect(fired).toEqual(["second"]);
    expect(timers.pendingCount).toBe(0);
  });

  it("chains delays beyond the 32-bit limit instead of firing at once", () => {
    const timers = new TrackedTimers();
    let fired = false;
    const timer = timers.start(MAX_TIMER_DELAY_MS + 1_000, () => (fired = true));
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(fired).toBe(false);
    expect(timers.pendingCount).toBe(1);
    vi.advanceTimersByTime(999);
    expect(fired).toBe(false);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(true);
    timers.clear(timer);
    expect(timers.pendingCount).toBe(0);
  });

  it("clears a chained timer mid-way", () => {
    const timers = new TrackedTimers();
    let fired = false;
    const timer = timers.start(MAX_TIMER_DELAY_MS * 2, () => (fired = true));
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS + 5);
    timers.clear(timer);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(fired).toBe(false);
    expect(timers.pendingCount).toBe(0);
  });

  it("treats negative and NaN delays as 0", () => {
    const timers = new TrackedTimers();
    let fired = 0;
    timers.start(-5, () => (fired += 1));
    timers.start(Number.NaN, () => (fired += 1));
    vi.advanceTimersByTime(0);
    expect(fired).toBe(2);
  });
});
