import { describe, expect, it } from "vitest";
import { IdleTracker } from "./idle-tracker.ts";
import { isSettled } from "./registry-test-support.ts";

describe("IdleTracker", () => {
  it("resolves per model and overall", async () => {
    const tracker = new IdleTracker();
    tracker.add("a");
    tracker.add("a");
    tracker.add(null);
    const modelIdle = tracker.whenIdle("a");
    const allIdle = tracker.whenIdle();
    await expect(tracker.whenIdle("b")).resolves.toBeUndefined();
    tracker.remove("a");
    expect(await isSettled(modelIdle)).toBe(false);
    tracker.remove("a");
    expect(await isSettled(modelIdle)).toBe(true);
    expect(await isSettled(allIdle)).toBe(false);
    tracker.remove(null);
    expect(await isSettled(allIdle)).toBe(true);
    expect(tracker.liveCount).toBe(0);
    expect(tracker.waiterCount).toBe(0);
    tracker.remove("never-added");
    expect(tracker.liveCount).toBe(0);
  });
});
