import { describe, expect, it } from "vitest";
import { FirstTokenTimeline } from "./first-token-timeline.ts";

describe("FirstTokenTimeline", () => {
  it("keeps the first stamp of each stage and ignores requests it never saw arrive", () => {
    const timeline = new FirstTokenTimeline();
    timeline.received("a", 1);
    timeline.stamp("a", "startedAt", 2);
    timeline.stamp("a", "firstTextAt", 3);
    timeline.stamp("a", "firstTextAt", 4);
    timeline.stamp("unknown", "startedAt", 5);
    expect(timeline.get("a")).toEqual({ receivedAt: 1, startedAt: 2, firstTextAt: 3 });
    expect(timeline.get("unknown")).toBeUndefined();
  });

  it("keeps only the most recent requests, and a repeated arrival starts its record over", () => {
    const timeline = new FirstTokenTimeline();
    for (let index = 0; index < 100; index += 1) timeline.received(`r${index}`, index);
    expect(timeline.size).toBe(64);
    expect(timeline.get("r35")).toBeUndefined();
    expect(timeline.get("r36")).toEqual({ receivedAt: 36 });
    timeline.stamp("r99", "startedAt", 100);
    timeline.received("r99", 101);
    expect(timeline.get("r99")).toEqual({ receivedAt: 101 });
  });
});
