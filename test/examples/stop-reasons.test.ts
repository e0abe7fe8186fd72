import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

describe("examples/stop-reasons.ts", () => {
  it("shows eos, length, stopSequence, cancelled and timeout", async () => {
    const result = await runExample("stop-reasons.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    const row = (label: string) => lineMatching(result, new RegExp(`^${label} +stopReason=(\\S+) +tokens=(\\S+) +chars=(\\d+) `));
    expect(row("eos")[1]).toBe("eos");
    const length = row("length");
    expect(length[1]).toBe("length");
    expect(length[2]).toBe("48");
    const stopSequence = row("stopSequence");
    expect(stopSequence[1]).toBe("stopSequence");
    // The stop string came from the middle of the same deterministic text, so the run stopped early.
    expect(Number(stopSequence[3])).toBeLessThan(Number(length[3]));
    expect(row("cancelled")[1]).toBe("cancelled");
    expect(row("timeout")[1]).toBe("timeout");
  }, 120_000);
});
