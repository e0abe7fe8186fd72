import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

describe("examples/ai-sdk.ts", () => {
  it("stops a streamText in the worker, runs ai's tool loop, returns a valid object and embeddings", async () => {
    const result = await runExample("ai-sdk.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    const stopped = lineMatching(result, /^streamText stopped after (\d+) deltas: last part=(\S+) request ended=(\S+) worker requests=(\d+)$/);
    expect(stopped.slice(1)).toEqual(["8", "abort", "cancelled", "0"]);
    expect(lineMatching(result, /^tool loop steps=(\d+) calls=(\S+) results=(\d+)$/).slice(1)).toEqual(["2", "get_weather,get_weather", "2"]);
    expect(lineMatching(result, /^object=.* valid=(\S+)$/)[1]).toBe("true");
    expect(lineMatching(result, /^embeddings=(\d+) dimension=(\d+)$/).slice(1)).toEqual(["2", "128"]);
  }, 120_000);
});
