import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

describe("examples/download-with-cancel.ts", () => {
  it("draws progress, cancels half-way and the server sees the transfer aborted", async () => {
    const result = await runExample("download-with-cancel.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    lineMatching(result, /^serving 8388608 bytes at http:\/\/127\.0\.0\.1:\d+\/weights\.bin$/);
    // Not a terminal here: one progress line per 10 %.
    expect(result.lines.filter((line) => /^\[[#.]{30}\] +\d+%/.test(line)).length).toBeGreaterThanOrEqual(2);
    const cancelledAt = Number(lineMatching(result, /^cancelled at (\d+)% \(\d+ of 8388608 bytes\)$/)[1]);
    expect(cancelledAt).toBeGreaterThanOrEqual(50);
    expect(cancelledAt).toBeLessThan(100);
    lineMatching(result, /^downloadAsset rejected: InferenceCancelledError code=52419 reason=user$/);
    const sent = Number(lineMatching(result, /^server: transfer aborted by the client after (\d+) of 8388608 bytes$/)[1]);
    expect(sent).toBeLessThan(8388608);
  }, 120_000);
});
