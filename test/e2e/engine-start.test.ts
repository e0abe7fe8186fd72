import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// node-llama-cpp tests a prebuilt binary in a child process before every load on Linux; the worker records the
// binary a tested start loaded and skips that test next time (llama-runtime.ts). Off Linux nothing is recorded.
const recordable = process.platform === "linux" && process.env.REIN_GPU !== "auto";

interface BinaryRecord {
  bindingPath: string;
  binarySize: number;
}

async function startAndComplete(cacheDir: string): Promise<{ text: string; metrics: Record<string, number> }> {
  await using client = createTestClient({ cacheDir });
  return await complete(client);
}

async function complete(client: ReturnType<typeof createTestClient>): Promise<{ text: string; metrics: Record<string, number> }> {
  const modelId = await client.loadModel({ modelSrc: await tinyModel() });
  const run = client.completion({ modelId, history: history("Say something."), maxTokens: 24, temperature: 0 });
  const text = await run.text;
  return { text, metrics: (await client.inspect()).metrics };
}

describe("the engine's start in a fresh worker", () => {
  let cache: Awaited<ReturnType<typeof makeTempDir>>;
  const recordFile = () => path.join(cache.path, "engine", "llama-binary.json");

  beforeAll(async () => {
    cache = await makeTempDir();
  });
  afterAll(async () => {
    await cache.remove();
  });

  it("a first start runs node-llama-cpp's tested getLlama() and records the binary; the next one loads that binary untested and generates the same text", async () => {
    const first = await startAndComplete(cache.path);
    expect(first.metrics["engine.testedBinaryStarts"]).toBe(1);
    expect(first.metrics["engine.recordedBinaryStarts"]).toBeUndefined();
    // The same engine load made node-llama-cpp's GGUF reader cooperative (the model this start loaded was read by it).
    expect(first.metrics["engine.cooperativeGgufReader"]).toBe(1);
    expect(first.text.length).toBeGreaterThan(0);
    if (!recordable) {
      await expect(readFile(recordFile())).rejects.toMatchObject({ code: "ENOENT" });
      return;
    }
    const record = JSON.parse(await readFile(recordFile(), "utf8")) as BinaryRecord;
    expect(path.basename(record.bindingPath)).toBe("llama-addon.node");

    const second = await startAndComplete(cache.path);
    expect(second.metrics["engine.recordedBinaryStarts"]).toBe(1);
    expect(second.metrics["engine.testedBinaryStarts"]).toBeUndefined();
    expect(second.text).toBe(first.text);
    // Written back after the load, for the start after this one.
    expect(JSON.parse(await readFile(recordFile(), "utf8"))).toEqual(record);
  });

  it.runIf(recordable)("a record that no longer matches the binary on disk is not trusted: the start is tested and the record rewritten", async () => {
    const record = JSON.parse(await readFile(recordFile(), "utf8")) as BinaryRecord;
    await writeFile(recordFile(), JSON.stringify({ ...record, binarySize: record.binarySize + 1 }));
    const started = await startAndComplete(cache.path);
    expect(started.metrics["engine.testedBinaryStarts"]).toBe(1);
    expect(started.metrics["engine.recordedBinaryStarts"]).toBeUndefined();
    expect(JSON.parse(await readFile(recordFile(), "utf8"))).toEqual(record);
  });

  it.runIf(recordable)("REIN_LLAMA_BINARY_TEST=always runs the test on every start, with a valid record present", async () => {
    const previous = process.env.REIN_LLAMA_BINARY_TEST;
    process.env.REIN_LLAMA_BINARY_TEST = "always";
    // The worker inherits the environment when ready() spawns it.
    await using client = createTestClient({ cacheDir: cache.path });
    try {
      await client.ready();
    } finally {
      if (previous === undefined) delete process.env.REIN_LLAMA_BINARY_TEST;
      else process.env.REIN_LLAMA_BINARY_TEST = previous;
    }
    const started = await complete(client);
    expect(started.metrics["engine.testedBinaryStarts"]).toBe(1);
    expect(started.metrics["engine.recordedBinaryStarts"]).toBeUndefined();
  });

  it.runIf(recordable)("a record that is not valid JSON is ignored the same way", async () => {
    await writeFile(recordFile(), "{ half a record");
    const started = await startAndComplete(cache.path);
    expect(started.metrics["engine.testedBinaryStarts"]).toBe(1);
    expect((JSON.parse(await readFile(recordFile(), "utf8")) as BinaryRecord).bindingPath).toMatch(/llama-addon\.node$/);
  });
});
