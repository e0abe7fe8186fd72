import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TEST_MODEL_GENERATOR_VERSION, defaultTestModelCacheDir, ensureTestModel, writeTestModel } from "./index.ts";

let directory = "";
beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "rein-test-model-write-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("writeTestModel", () => {
  it("is byte-for-byte deterministic", async () => {
    const first = await writeTestModel(path.join(directory, "a.gguf"), { emitsEos: true, seed: 7 });
    const second = await writeTestModel(path.join(directory, "b.gguf"), { emitsEos: true, seed: 7 });
    expect(second.sha256).toBe(first.sha256);
    expect(second.bytes).toBe(first.bytes);
    expect((await stat(first.path)).size).toBe(first.bytes);
  });

  it("gives different weights to different seeds and variants", async () => {
    const base = await writeTestModel(path.join(directory, "base.gguf"));
    const seeded = await writeTestModel(path.join(directory, "seeded.gguf"), { seed: 8 });
    const withEos = await writeTestModel(path.join(directory, "eos.gguf"), { emitsEos: true });
    expect(new Set([base.sha256, seeded.sha256, withEos.sha256]).size).toBe(3);
  });

  it("replaces an existing file and leaves no temporary files", async () => {
    const target = path.join(directory, "replaced", "model.gguf");
    await Promise.all([writeTestModel(target), writeTestModel(target), writeTestModel(target)]);
    const written = await writeTestModel(target);
    expect(written.path).toBe(target);
    expect(await readdir(path.dirname(target))).toEqual(["model.gguf"]);
  });

  it("rejects invalid options", async () => {
    await expect(writeTestModel(path.join(directory, "x.gguf"), { seed: -1 })).rejects.toThrow(RangeError);
    await expect(writeTestModel(path.join(directory, "x.gguf"), { seed: 1.5 })).rejects.toThrow(RangeError);
    await expect(
      writeTestModel(path.join(directory, "x.gguf"), { preset: "huge" as "tiny" }),
    ).rejects.toThrow(RangeError);
  });
});

describe("ensureTestModel", () => {
  const savedCacheDir = process.env["REIN_CACHE_DIR"];
  afterEach(() => {
    if (savedCacheDir === undefined) delete process.env["REIN_CACHE_DIR"];
    else process.env["REIN_CACHE_DIR"] = savedCacheDir;
  });

  it("generates once, then reuses the cached file", async () => {
    const cacheDir = path.join(directory, "cache");
    const modelPath = await ensureTestModel({ cacheDir, emitsEos: true, seed: 3 });
    expect(path.isAbsolute(modelPath)).toBe(true);
    expect(path.basename(modelPath)).toBe(`rein-test-model-tiny-eos-seed3-v${TEST_MODEL_GENERATOR_VERSION}.gguf`);
    const firstWrite = (await stat(modelPath)).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await ensureTestModel({ cacheDir, emitsEos: true, seed: 3 })).toBe(modelPath);
    expect((await stat(modelPath)).mtimeMs).toBe(firstWrite);
  });

  it("serves concurrent callers one complete file", async () => {
    const cacheDir = path.join(directory, "concurrent");
    const paths = await Promise.all(Array.from({ length: 4 }, () => ensureTestModel({ cacheDir })));
    expect(new Set(paths).size).toBe(1);
    expect(await readdir(cacheDir)).toHaveLength(1);
  });

  it("uses $REIN_CACHE_DIR/models, else the repository's .cache/rein-models", async () => {
    delete process.env["REIN_CACHE_DIR"];
    const repositoryDefault = await defaultTestModelCacheDir();
    expect(repositoryDefault.endsWith(path.join(".cache", "rein-models"))).toBe(true);

    process.env["REIN_CACHE_DIR"] = path.join(directory, "environment");
    expect(await defaultTestModelCacheDir()).toBe(path.join(directory, "environment", "models"));
    const modelPath = await ensureTestModel();
    expect(path.dirname(modelPath)).toBe(path.join(directory, "environment", "models"));
  });
});
