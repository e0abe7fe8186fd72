import { describe, expect, it } from "vitest";
import { parseBenchOptions, SECTION_NAMES } from "../../bench/bench-options.ts";
import { formatNumber, formatPercent, markdownTable } from "../../bench/report.ts";

describe("parseBenchOptions", () => {
  it("defaults to every section, both presets, 1 thread and 40 repetitions", () => {
    expect(parseBenchOptions([])).toEqual({ presets: ["tiny", "medium"], threads: 1, repetitions: 40, quick: false, soakRequests: 1000, only: [...SECTION_NAMES], out: undefined });
  });

  it("makes --quick smaller: the tiny model and 12 repetitions unless told otherwise", () => {
    expect(parseBenchOptions(["--quick"])).toMatchObject({ presets: ["tiny"], repetitions: 12, quick: true, soakRequests: 300 });
    expect(parseBenchOptions(["--quick", "--repetitions", "5", "--preset", "medium"])).toMatchObject({ presets: ["medium"], repetitions: 5 });
  });

  it("parses section and preset lists and the output file", () => {
    const options = parseBenchOptions(["--only", "soak, registry-scale", "--preset", "medium,tiny,medium", "--threads", "2", "--soak", "5000", "--out", "/tmp/r.md"]);
    expect(options).toMatchObject({ only: ["soak", "registry-scale"], presets: ["medium", "tiny"], threads: 2, soakRequests: 5000, out: "/tmp/r.md" });
  });

  it("rejects unknown sections, presets, flags and non-positive numbers", () => {
    expect(() => parseBenchOptions(["--only", "warp-speed"])).toThrow(/unknown section "warp-speed"/);
    expect(() => parseBenchOptions(["--preset", "huge"])).toThrow(/--preset/);
    expect(() => parseBenchOptions(["--threads", "0"])).toThrow(/--threads must be a positive integer/);
    expect(() => parseBenchOptions(["--repetitions", "2.5"])).toThrow(/--repetitions/);
    expect(() => parseBenchOptions(["--fast"])).toThrow();
  });

  it("answers help", () => {
    expect(parseBenchOptions(["--help"])).toBe("help");
  });
});

describe("markdown helpers", () => {
  it("builds a table with a left-aligned first column and escapes pipes and newlines", () => {
    expect(markdownTable(["path", "p50"], [["a|b", "1\n2"]])).toBe("| path | p50 |\n| --- | ---: |\n| a\\|b | 1 2 |");
  });

  it("formats missing numbers as a dash instead of NaN", () => {
    expect(formatNumber(Number.NaN)).toBe("–");
    expect(formatNumber(1234.567, 1)).toBe("1,234.6");
    expect(formatPercent(0.9876)).toBe("98.8%");
    expect(formatPercent(undefined)).toBe("–");
  });
});
