import { describe, expect, it } from "vitest";
import { effectiveThreads, resolveModelConfig } from "./model-config.ts";

describe("model config threads", () => {
  it("clamps the requested or default thread count to maxThreads", () => {
    expect(effectiveThreads({ threads: 4 }, { threads: 1, gpuLayers: 0, maxThreads: 2 })).toEqual({ threads: 2, requested: 4, clamped: true });
    expect(effectiveThreads(undefined, { threads: 8, gpuLayers: 0, maxThreads: 2 })).toEqual({ threads: 2, requested: 8, clamped: true });
    expect(effectiveThreads({ threads: 2 }, { threads: 1, gpuLayers: 0, maxThreads: 2 })).toEqual({ threads: 2, requested: 2, clamped: false });
    expect(resolveModelConfig({ threads: 64 }, { threads: 1, gpuLayers: 0, maxThreads: 2 }).threads).toBe(2);
  });

  it("a clamped request resolves to the same config (and so the same model id) as the clamp itself", () => {
    const defaults = { threads: 1, gpuLayers: 0 as const, maxThreads: 2 };
    expect(resolveModelConfig({ threads: 16 }, defaults)).toEqual(resolveModelConfig({ threads: 2 }, defaults));
  });
});
