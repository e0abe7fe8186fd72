import { describe, expect, it } from "vitest";
import { lineMatching, runExample } from "./run-example.ts";

describe("examples/rag.ts", () => {
  it("ingests, searches with a filter, cancels a large ingest that writes nothing, deletes the workspace", async () => {
    const result = await runExample("rag.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(lineMatching(result, /^ingested documents=(\d+) chunks=(\d+) dimension=(\d+)$/).slice(1)).toEqual(["3", "3", "128"]);
    const hits = result.lines.filter((line) => line.startsWith("hit "));
    expect(hits).toHaveLength(2);
    expect(hits[0]).toMatch(/^hit cancel score=1\.000$/);
    expect(hits[1]).toMatch(/^hit deadline /);
    expect(lineMatching(result, /^cancelled (\d+) after (\d+)\/5000 chunks$/)[1]).toBe("1");
    lineMatching(result, /^bulk ingest rejected: InferenceCancelledError code=52419$/);
    lineMatching(result, /^workspace example-notes: documents=3 chunks=3$/);
    expect(result.lines.at(-1)).toBe("workspace deleted");
  }, 120_000);
});
