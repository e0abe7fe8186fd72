import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

const UUID_V4 = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;

describe("examples/cancel-by-request-id.ts", () => {
  it("streams, cancels by requestId mid-stream, reports the partial text and unloads", async () => {
    const result = await runExample("cancel-by-request-id.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    const requestId = lineMatching(result, new RegExp(`^requestId: (${UUID_V4.source})$`))[1];
    expect(requestId).toBeDefined();
    expect(lineMatching(result, /^cancel\(\{ requestId \}\) -> cancelled=(\d+)$/)[1]).toBe("1");
    const deltas = Number(lineMatching(result, /^content deltas streamed: (\d+)$/)[1]);
    expect(deltas).toBeGreaterThan(0);
    lineMatching(result, /^stopReason=cancelled$/);
    const partialLength = Number(lineMatching(result, /^run\.text rejected: InferenceCancelledError code=52419 reason=user partial length=(\d+)$/)[1]);
    // Every delta carries at least one character, and the partial text is exactly what was streamed.
    expect(partialLength).toBeGreaterThanOrEqual(deltas);
    expect(result.lines.at(-1)).toBe("model unloaded");
  }, 120_000);
});
