import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clampThreads, defaultThreadCount, THREADS_CLAMPED_WARNING } from "./thread-count.ts";

describe("thread count", () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  beforeEach(() => {
    warnings.length = 0;
    process.on("warning", onWarning);
  });
  afterEach(() => {
    process.off("warning", onWarning);
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick

  it("clamps more threads than cores to the cores and warns once per source and value", async () => {
    expect(clampThreads(4, "createClient({ threads })", 2)).toBe(2);
    expect(clampThreads(4, "createClient({ threads })", 2)).toBe(2);
    await settle();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ name: "ReinWarning", code: THREADS_CLAMPED_WARNING });
    expect(warnings[0]!.message).toMatch(/createClient\(\{ threads \}\) asks for 4 threads, but this machine has 2 CPU cores/);
  });

  it("leaves a count within the cores alone, silently", async () => {
    expect(clampThreads(2, "test within", 2)).toBe(2);
    expect(clampThreads(1, "test within", 8)).toBe(1);
    await settle();
    expect(warnings).toEqual([]);
  });

  it("defaults to REIN_THREADS, else half the cores, at least 1", () => {
    expect(defaultThreadCount({ REIN_THREADS: "3" }, 8)).toBe(3);
    expect(defaultThreadCount({ REIN_THREADS: "zero" }, 8)).toBe(4);
    expect(defaultThreadCount({}, 1)).toBe(1);
  });
});
