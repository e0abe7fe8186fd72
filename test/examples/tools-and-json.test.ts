import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

describe("examples/tools-and-json.ts", () => {
  it("runs a tool loop, returns a schema-checked object and cancels during a tool", async () => {
    const result = await runExample("tools-and-json.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    const call = lineMatching(result, /^toolCall name=get_weather arguments=(.+)$/);
    expect(JSON.parse(call[1]!)).toMatchObject({ unit: expect.stringMatching(/^(celsius|fahrenheit)$/) });
    expect(lineMatching(result, /^loop stopReason=(\S+)$/)[1]).toBe("maxSteps");
    expect(lineMatching(result, /^history roles=(\S+) /)[1]).toBe("assistant,tool,assistant,tool");
    expect(lineMatching(result, /^object=.* valid=(\S+)$/)[1]).toBe("true");
    const cancel = lineMatching(result, /^cancel during execute: signal aborted=(\S+) calls so far=(\d+)$/);
    expect(cancel[1]).toBe("true");
    expect(cancel[2]).toBe("1");
  }, 120_000);
});
