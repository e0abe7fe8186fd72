import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

describe("examples/abort-signal-and-timeout.ts", () => {
  it("cancels through an AbortController, refuses a pre-aborted signal without a call, times out", async () => {
    const result = await runExample("abort-signal-and-timeout.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    const aborted = lineMatching(result, /^stopReason=cancelled deltas=(\d+)$/);
    expect(Number(aborted[1])).toBeGreaterThanOrEqual(10);
    lineMatching(result, /^rejected: InferenceCancelledError code=52419 reason=abortSignal cause=user navigated away$/);
    lineMatching(result, /^rejected: InferenceCancelledError code=52419 reason=abortSignal$/);
    lineMatching(result, /^stopReason=cancelled deltas=0 calls the worker received: 0$/);
    lineMatching(result, /^stopReason=timeout deltas=\d+$/);
    lineMatching(result, /^rejected: RequestTimeoutError code=52422 timeoutMs=800 partial length=\d+$/);
    lineMatching(result, /^AbortSignal\.timeout\(800\): stopReason=cancelled reason=abortSignal cause=TimeoutError$/);
  }, 120_000);
});
