import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

describe("examples/parent-child.ts", () => {
  it("cancelling the parent cancels the embed child and the completion child", async () => {
    const result = await runExample("parent-child.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    lineMatching(result, /^in the worker before cancel: 3 requests, 2 of them children of the parent$/);
    lineMatching(result, /^cancel\(\{ requestId: parent \}\) -> cancelled=3$/);
    lineMatching(result, /^parent: {2}stopReason=cancelled cancelled \(reason=user\) deltas=[1-9]\d*$/);
    lineMatching(result, /^child 1: embed cancelled \(reason=parentCancelled\)$/);
    lineMatching(result, /^child 2: stopReason=cancelled cancelled \(reason=parentCancelled\) deltas=[1-9]\d*$/);
    lineMatching(result, /^in the worker after cancel: 0 requests$/);
  }, 120_000);
});
