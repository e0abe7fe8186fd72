import { describe, expect, it } from "vitest";
import { describeFailure, LifecycleLog } from "./lifecycle-log.ts";
import type { LifecycleLogEntry } from "./registry-types.ts";

describe("lifecycle log", () => {
  it("describes single, aggregated and non-Error failures", () => {
    expect(describeFailure(new TypeError("bad"))).toBe("TypeError: bad");
    expect(describeFailure(new AggregateError([new Error("a"), "b"]))).toBe("Error: a, b");
    expect(describeFailure(42)).toBe("42");
  });

  it("logs rejections with their duration and swallows logger errors", () => {
    const lines: LifecycleLogEntry[] = [];
    let now = 100;
    const log = new LifecycleLog((line) => lines.push(line), () => now);
    now = 130;
    log.rejected({ requestId: "r", kind: "completion", modelId: "m", startedAt: 100 }, "queue full");
    expect(lines).toEqual([
      { event: "rejected", requestId: "r", kind: "completion", modelId: "m", state: "failed", durationMs: 30, reason: "queue full" },
    ]);
    const throwing = new LifecycleLog(() => {
      throw new Error("down");
    }, () => 0);
    expect(() => throwing.rejected({ requestId: "r", kind: "custom", modelId: null, startedAt: 0 }, "x")).not.toThrow();
  });
});
