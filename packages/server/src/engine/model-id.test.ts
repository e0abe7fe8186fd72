import { describe, expect, it } from "vitest";
import { resolveModelConfig } from "./model-config.ts";
import { modelIdFor } from "./model-id.ts";

const defaults = { threads: 1, gpuLayers: 0 as const };

describe("modelIdFor", () => {
  it("is deterministic from source and resolved config, and readable", () => {
    const config = resolveModelConfig({ ctx_size: 4096 }, defaults);
    const id = modelIdFor("./models/Qwen3-0.6B-Q4.gguf", config);
    expect(id).toMatch(/^Qwen3-0\.6B-Q4-[0-9a-f]{12}$/);
    expect(modelIdFor("./models/Qwen3-0.6B-Q4.gguf", resolveModelConfig({ ctx_size: 4096 }, defaults))).toBe(id);
  });

  it("treats an omitted option and its default as the same model", () => {
    expect(modelIdFor("/m.gguf", resolveModelConfig(undefined, defaults))).toBe(modelIdFor("/m.gguf", resolveModelConfig({ parallel: 1, ctx_size: 2048 }, defaults)));
  });

  it("differs when the source or any option differs", () => {
    const base = modelIdFor("/m.gguf", resolveModelConfig(undefined, defaults));
    expect(modelIdFor("/other.gguf", resolveModelConfig(undefined, defaults))).not.toBe(base);
    expect(modelIdFor("/m.gguf", resolveModelConfig({ parallel: 2 }, defaults))).not.toBe(base);
    expect(modelIdFor("/m.gguf", resolveModelConfig({ prefill_chunk_size: 64 }, defaults))).not.toBe(base);
    expect(modelIdFor("https://example.test/m.gguf?download=1", resolveModelConfig(undefined, defaults))).toMatch(/^m-[0-9a-f]{12}$/);
  });
});
