import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COUNTDOWN_LEVEL_COUNT, countdownLevels } from "./countdown-levels.ts";
import { float32ToFloat16Bits } from "./float16.ts";
import { encodeGguf } from "./gguf-writer.ts";
import { testModelSpec, writeTestModel } from "./index.ts";
import { TokenType, buildVocabulary } from "./vocabulary.ts";

let directory = "";
beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "rein-test-model-format-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("float32ToFloat16Bits", () => {
  it("matches known half-precision encodings", () => {
    expect(float32ToFloat16Bits(0)).toBe(0x0000);
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(0.1)).toBe(0x2e66);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    expect(float32ToFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(float32ToFloat16Bits(5.960464477539063e-8)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16Bits(1e-9)).toBe(0x0000);
  });
});

describe("encodeGguf", () => {
  it("aligns the data section and every tensor", () => {
    const chunks = encodeGguf({
      metadata: new Map([["general.alignment", { type: "uint32", value: 32 }]]),
      tensors: [
        { name: "a", dimensions: [3], type: "f32", data: new Uint8Array(12) },
        { name: "b", dimensions: [5], type: "f16", data: new Uint8Array(10) },
      ],
      alignment: 32,
    });
    const [header, ...data] = chunks;
    expect(Buffer.from(header ?? []).subarray(0, 4).toString("latin1")).toBe("GGUF");
    expect((header?.byteLength ?? 0) % 32).toBe(0);
    expect(data.map((chunk) => chunk.byteLength)).toEqual([12, 20, 10, 22]);
  });

  it("rejects tensor data that does not match the shape", () => {
    expect(() =>
      encodeGguf({
        metadata: new Map(),
        tensors: [{ name: "a", dimensions: [4], type: "f32", data: new Uint8Array(8) }],
        alignment: 32,
      }),
    ).toThrow(RangeError);
  });

  it("writes a header far larger than its first buffer, every value where node-llama-cpp reads it", async () => {
    // 64 KiB is the writer's first buffer: each growth used to drop the value that caused it.
    const tokens = Array.from({ length: 30_000 }, (_, index) => `token-${index}-é`);
    const scores = tokens.map((_, index) => index / 2);
    const file = path.join(directory, "large-header.gguf");
    const chunks = encodeGguf({
      metadata: new Map([
        ["general.architecture", { type: "string", value: "llama" }],
        ["tokenizer.ggml.tokens", { type: "array", itemType: "string", values: tokens }],
        ["tokenizer.ggml.scores", { type: "array", itemType: "float32", values: scores }],
        ["general.name", { type: "string", value: "after the arrays" }],
      ]),
      tensors: [],
      alignment: 32,
    });
    expect(chunks[0]?.byteLength).toBeGreaterThan(8 * 64 * 1024);
    await writeFile(file, Buffer.concat(chunks));
    const info = await readGgufFileInfo(file, { readTensorInfo: false });
    const metadata = info.metadata as unknown as { general: { name: string }; tokenizer: { ggml: { tokens: string[]; scores: number[] } } };
    expect(metadata.tokenizer.ggml.tokens).toEqual(tokens);
    expect(metadata.tokenizer.ggml.scores).toEqual(scores);
    expect(metadata.general.name).toBe("after the arrays");
  });
});

describe("vocabulary", () => {
  it("has unique tokens, byte fallback and a countdown path through every level", () => {
    const vocabulary = buildVocabulary();
    expect(new Set(vocabulary.tokens).size).toBe(vocabulary.tokens.length);
    expect(vocabulary.types.filter((type) => type === TokenType.byte)).toHaveLength(256);
    const levels = countdownLevels(vocabulary);
    for (let level = 1; level < COUNTDOWN_LEVEL_COUNT; level++) {
      const normalAtLevel = levels.filter((tokenLevel, id) => tokenLevel === level && vocabulary.types[id] === TokenType.normal);
      expect(normalAtLevel.length, `normal tokens at level ${level}`).toBeGreaterThan(0);
    }
  });
});

describe("written files", () => {
  it.each(["tiny", "medium"] as const)("%s has the metadata and tensors llama.cpp needs", async (preset) => {
    const spec = testModelSpec(preset);
    const written = await writeTestModel(path.join(directory, `${preset}.gguf`), { preset });
    const info = await readGgufFileInfo(written.path, { logWarnings: false });
    const metadata = info.metadata as unknown as {
      general: { architecture: string; alignment: number };
      llama: { embedding_length: number; block_count: number; context_length: number };
      tokenizer: { ggml: { model: string; tokens: string[]; eos_token_id: number }; chat_template: string };
    };
    expect(info.version).toBe(3);
    expect(metadata.general.architecture).toBe("llama");
    expect(metadata.general.alignment).toBe(32);
    expect(metadata.llama.embedding_length).toBe(spec.embeddingLength);
    expect(metadata.llama.block_count).toBe(spec.blockCount);
    expect(metadata.llama.context_length).toBe(4096);
    expect(metadata.tokenizer.ggml.model).toBe("llama");
    expect(metadata.tokenizer.ggml.tokens).toHaveLength(spec.vocabularySize);
    expect(metadata.tokenizer.chat_template).toContain("<|im_start|>");
    expect(info.tensorInfo).toHaveLength(3 + 9 * spec.blockCount);
    for (const tensor of info.tensorInfo ?? []) expect(Number(tensor.offset) % 32).toBe(0);

    const bytesPerWeight = spec.weightType === "f32" ? 4 : 2;
    // The header (mostly the token list) and F32 norms add a few tens of kilobytes.
    expect(written.bytes).toBeGreaterThan(spec.parameterCount * bytesPerWeight);
    expect(written.bytes).toBeLessThan(spec.parameterCount * bytesPerWeight + 100_000);
    if (preset === "tiny") expect(written.bytes).toBeLessThan(2.5e6);
    else expect(written.bytes).toBeGreaterThan(40e6);
  }, 20_000);
});
