import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

describe("examples/concurrent-requests.ts", () => {
  it("queues by default, rejects with 52420 under oneAtATimePerModel, runs two models in parallel", async () => {
    const result = await runExample("concurrent-requests.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    lineMatching(result, /^second request queued: true$/);
    // FIFO: the second request produced nothing before the first was done.
    lineMatching(result, /^order: 1 streams -> 1 done \(length\) -> 2 streams -> 2 done \(length\)$/);
    lineMatching(result, /^rejected: code=52420 name=RequestRejectedByPolicyError$/);
    lineMatching(result, /^ {2}requestId=[0-9a-f-]{36} \(same as run\.requestId: true\)$/);
    lineMatching(result, /^ {2}kind=completion modelId=\S+ rule=maxConcurrent$/);
    lineMatching(result, /^ {2}reason=.+/);
    lineMatching(result, /^running at once: 2 on 2 models$/);
  }, 120_000);
});
