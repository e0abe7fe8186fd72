import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

describe("examples/broad-cancel-on-unload.ts", () => {
  it("unloadModel cancels the running and the queued requests and frees the model", async () => {
    const result = await runExample("broad-cancel-on-unload.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    lineMatching(result, /^before unload: 2 running, 1 queued$/);
    lineMatching(result, /^unloadModel -> cancelled=3 freed=true$/);
    const perRequest = ["A", "B", "C"].map((label) =>
      lineMatching(result, new RegExp(`^request ${label} [0-9a-f-]{36}: stopReason=cancelled reason=modelUnloaded deltas=(\\d+)$`)),
    );
    // A and B were streaming when the model went away; C never left the queue.
    expect(Number(perRequest[0]![1])).toBeGreaterThan(0);
    expect(Number(perRequest[1]![1])).toBeGreaterThan(0);
    expect(perRequest[2]![1]).toBe("0");
    lineMatching(result, /^after unload: 0 requests, 0 models in the worker$/);
  }, 120_000);
});
