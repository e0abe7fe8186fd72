import { describe, expect, it } from "vitest";
import { interleave, median, pairedRatio, percentile, rotation, summarize } from "../../bench/stats.ts";

describe("percentile", () => {
  it("interpolates linearly between the closest ranks", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 0.25)).toBe(20);
    expect(percentile([0, 100], 0.99)).toBeCloseTo(99, 10);
  });

  it("does not depend on the input order and leaves the input unsorted", () => {
    const samples = [5, 1, 4, 2, 3];
    expect(percentile(samples, 0.5)).toBe(3);
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });

  it("returns the extremes at 0 and 1 and NaN for no samples", () => {
    expect(percentile([7, 3, 9], 0)).toBe(3);
    expect(percentile([7, 3, 9], 1)).toBe(9);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it("rejects a fraction outside 0..1", () => {
    expect(() => percentile([1], 1.5)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe("median and summarize", () => {
  it("takes the middle value, or the mean of the two middle values", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("summarizes count, min, percentiles, max and mean", () => {
    const samples = Array.from({ length: 101 }, (_, index) => index);
    const summary = summarize(samples);
    expect(summary).toMatchObject({ count: 101, min: 0, p50: 50, p95: 95, p99: 99, max: 100, mean: 50 });
  });

  it("keeps a single outlier out of the median but not out of p99 and max", () => {
    const summary = summarize([1, 1, 1, 1, 1, 1, 1, 1, 1, 500]);
    expect(summary.p50).toBe(1);
    expect(summary.max).toBe(500);
    expect(summary.p99).toBeGreaterThan(400);
  });

  it("gives NaN fields for an empty set", () => {
    const summary = summarize([]);
    expect(summary.count).toBe(0);
    expect(summary.p50).toBeNaN();
    expect(summary.max).toBeNaN();
  });
});

describe("pairedRatio", () => {
  it("is the median of per-round ratios, so a drift shared by both sides cancels", () => {
    // The machine gets slower each round; the numerator is always 10% slower than the denominator.
    const plain = [100, 200, 300, 400, 500];
    const rein = plain.map((value) => value * 1.1);
    expect(pairedRatio(rein, plain)).toBeCloseTo(1.1, 10);
  });

  it("skips pairs with a zero denominator or a non-finite value", () => {
    expect(pairedRatio([1, 2, Number.NaN, 8], [0, 1, 1, 4])).toBe(2);
  });

  it("uses only as many pairs as the shorter side has", () => {
    expect(pairedRatio([3, 3, 1000], [1, 1])).toBe(3);
  });
});

describe("rotation", () => {
  it("rotates left by the round, wrapping around", () => {
    expect(rotation(["a", "b", "c"], 0)).toEqual(["a", "b", "c"]);
    expect(rotation(["a", "b", "c"], 1)).toEqual(["b", "c", "a"]);
    expect(rotation(["a", "b", "c"], 5)).toEqual(["c", "a", "b"]);
    expect(rotation([], 3)).toEqual([]);
  });
});

describe("interleave", () => {
  it("runs warm-up rounds unrecorded, then every variant once per round in rotated order", async () => {
    const calls: string[] = [];
    const results = await interleave<string>({
      warmupRounds: 1,
      rounds: 3,
      variants: [
        { name: "A", run: async (round) => (calls.push(`A${round}`), `A${round}`) },
        { name: "B", run: async (round) => (calls.push(`B${round}`), `B${round}`) },
      ],
    });
    expect(calls).toEqual(["A0", "B0", "B1", "A1", "A2", "B2", "B3", "A3"]);
    expect(results.get("A")).toEqual(["A1", "A2", "A3"]);
    expect(results.get("B")).toEqual(["B1", "B2", "B3"]);
  });

  it("reports each recorded result with its zero-based measured round", async () => {
    const seen: string[] = [];
    await interleave<number>({
      warmupRounds: 2,
      rounds: 2,
      variants: [{ name: "only", run: async (round) => round * 10 }],
      onResult: (variant, round, result) => seen.push(`${variant}:${round}:${result}`),
    });
    expect(seen).toEqual(["only:0:20", "only:1:30"]);
  });

  it("stops at the first failing run and passes its error on", async () => {
    const failing = interleave<number>({
      warmupRounds: 0,
      rounds: 2,
      variants: [{ name: "broken", run: async () => Promise.reject(new Error("boom")) }],
    });
    await expect(failing).rejects.toThrow("boom");
  });
});
