import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

describe("examples/abort-signal-and-timeout.ts", () => {
  it("cancels through an AbortController, refuses a pre-aborted signal without a call, times out", async () => {
    const result = await runExample("abort-signal-and-timeout.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    // The abort fires at the 10th delta; the deltas already in the pipe may still arrive before the stop.
    const aborted = lineMatching(result, /^stopReason=cancelled deltas=(\d+) streamed=(\d+)$/);
    expect(Number(aborted[1])).toBeGreaterThanOrEqual(10);
    const abortedPartial = lineMatching(result, /^rejected: InferenceCancelledError code=52419 reason=abortSignal cause=user navigated away partial length=(\d+)$/);
    // The partial text is exactly what was streamed.
    expect(Number(abortedPartial[1])).toBe(Number(aborted[2]));
    lineMatching(result, /^rejected: InferenceCancelledError code=52419 reason=abortSignal$/);
    lineMatching(result, /^stopReason=cancelled deltas=0 calls the worker received: 0$/);
    // True counts: deltas=0 beside a non-empty partial would be a counting bug (every delta carries text).
    const timedOut = lineMatching(result, /^stopReason=timeout deltas=(\d+) streamed=(\d+)$/);
    const timedOutPartial = lineMatching(result, /^rejected: RequestTimeoutError code=52422 timeoutMs=800 partial length=(\d+)$/);
    expect(Number(timedOut[2])).toBe(Number(timedOutPartial[1]));
    expect(Number(timedOut[1]) > 0).toBe(Number(timedOut[2]) > 0);
    expect(Number(timedOut[2])).toBeGreaterThanOrEqual(Number(timedOut[1]));
    lineMatching(result, /^AbortSignal\.timeout\(800\): stopReason=cancelled deltas=\d+ reason=abortSignal cause=TimeoutError$/);
  }, 120_000);
});
