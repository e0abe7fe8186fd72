import { copyFile, readFile, stat, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferenceCancelledError, ModelNotFoundError, type ProgressEvent, type ReinClient } from "@rein/sdk";
import { startAssetServer, type AssetServer } from "../helpers/asset-server.ts";
import { recordProgress } from "../helpers/download-kit.ts";
import { createTestClient, history, mediumModel, tinyModel } from "../helpers/rein-test-client.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("loadModel phases through the real worker", () => {
  let server: AssetServer;
  let cache: Awaited<ReturnType<typeof makeTempDir>>;
  let client: ReinClient;

  beforeAll(async () => {
    server = await startAssetServer();
    cache = await makeTempDir();
    client = createTestClient({ cacheDir: cache.path });
    server.setAsset("/tiny.gguf", await readFile(await tinyModel()), { dripBytesPerChunk: 256 * 1024, dripIntervalMs: 5 });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
    await cache.remove();
  });

  it("loads from an http URL with download then load progress; a repeated load returns the same id and counts references", async () => {
    const progress = recordProgress();
    const load = client.loadModel({ modelSrc: server.url("/tiny.gguf"), onProgress: progress.onProgress });
    expect(load.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const modelId = await load;
    const phases = progress.events.map((event: ProgressEvent) => event.phase);
    expect(phases).toContain("download");
    expect(phases.indexOf("load")).toBeGreaterThan(phases.lastIndexOf("download"));
    expect(progress.events.filter((event) => event.phase === "download").at(-1)).toMatchObject({ done: true });
    expect(progress.events.at(-1)).toMatchObject({ phase: "load", loaded: 100, done: true });

    const again = await client.loadModel({ modelSrc: server.url("/tiny.gguf") });
    expect(again).toBe(modelId);
    expect((await client.inspect()).models).toEqual([expect.objectContaining({ modelId, references: 2 })]);
    const run = client.completion({ modelId, history: history(), maxTokens: 5 });
    expect((await run.final).stopReason).toBe("length");
    expect(await client.unloadModel({ modelId })).toMatchObject({ freed: false, references: 1 });
    expect(await client.unloadModel({ modelId })).toMatchObject({ freed: true, references: 0 });
    expect((await client.inspect()).models).toEqual([]);
  });

  it("a cancel during the download aborts the transfer and leaves no model", async () => {
    server.setAsset("/slow.gguf", await readFile(await tinyModel()), { dripBytesPerChunk: 16 * 1024, dripIntervalMs: 10 });
    const progress = recordProgress();
    const load = client.loadModel({ modelSrc: server.url("/slow.gguf"), onProgress: progress.onProgress });
    await progress.when((event) => event.phase === "download" && event.loaded > 0);
    expect(await load.cancel()).toEqual({ cancelled: 1 });
    await expect(load).rejects.toBeInstanceOf(InferenceCancelledError);
    await server.waitForAbort("/slow.gguf");
    expect(progress.events.some((event) => event.phase === "load")).toBe(false);
    const snapshot = await client.inspect();
    expect(snapshot.models).toEqual([]);
    expect(snapshot.requests).toEqual([]);
  });

  it("a cancel during the native load aborts it: no model stays loaded and memory stays bounded", async () => {
    const modelSrc = await mediumModel();
    const modelBytes = (await stat(modelSrc)).size;
    const baseline = (await client.inspect()).memory.rss;
    let landedInLoad = 0;
    // The cancel is sent when the first native load-progress event arrives; on a busy machine the load can
    // still win the race. Then the cancel counts 0 and the model is loaded: consistent, just not this test's case.
    for (let attempt = 0; attempt < 20 && landedInLoad < 4; attempt += 1) {
      let cancelled: Promise<{ cancelled: number }> | undefined;
      // A distinct config per attempt: a distinct model id, so every attempt is a fresh native load.
      const load = client.loadModel({
        modelSrc,
        modelConfig: { ctx_size: 2048 + attempt },
        onProgress: (event) => {
          if (event.phase === "load") cancelled ??= load.cancel();
        },
      });
      const outcome = await load.then(
        (modelId) => ({ modelId }),
        (error: unknown) => ({ error }),
      );
      const { cancelled: count } = await cancelled!;
      if ("error" in outcome) {
        expect(outcome.error).toBeInstanceOf(InferenceCancelledError);
        expect(count).toBe(1);
        landedInLoad += 1;
      } else {
        expect(count).toBe(0);
        await client.unloadModel({ modelId: outcome.modelId });
      }
    }
    expect(landedInLoad).toBe(4);
    const snapshot = await client.inspect();
    expect(snapshot.models).toEqual([]);
    expect(snapshot.requests).toEqual([]);
    // Orphaned copies would add 52 MB each; allocator retention (plain node-llama-cpp keeps ~50 MB too) stays under two.
    expect(snapshot.memory.rss - baseline).toBeLessThan(2 * modelBytes);
  });

  it("a load issued right after the only other load of the same model was cancelled gets a load of its own, not that cancel", async () => {
    const modelSrc = await mediumModel();
    // Found by the soak: the second load joined the native load being torn down and failed with the first one's cancel.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const modelConfig = { ctx_size: 1024 + attempt };
      let issueCancel: (() => void) | undefined;
      const cancelled = new Promise<{ cancelled: number }>((resolve) => {
        issueCancel = () => resolve(first.cancel());
      });
      const first = client.loadModel({ modelSrc, modelConfig, onProgress: (event) => {
        if (event.phase === "load") issueCancel?.();
        issueCancel = undefined;
      } });
      const firstOutcome = first.then(() => "loaded", (error: unknown) => error);
      // The first load's end is answered at once; its native load may still be tearing down when this arrives.
      const { cancelled: count } = await cancelled;
      const second = await client.loadModel({ modelSrc, modelConfig });
      const outcome = await firstOutcome;
      if (outcome !== "loaded") expect(InferenceCancelledError.isInstance(outcome), String(outcome)).toBe(true);
      expect(count).toBe(outcome === "loaded" ? 0 : 1);
      const models = (await client.inspect()).models;
      expect(models.map((model) => [model.modelId, model.references])).toEqual([[second, outcome === "loaded" ? 2 : 1]]);
      await client.unloadModel({ modelId: second });
      if (outcome === "loaded") await client.unloadModel({ modelId: second });
    }
    expect((await client.inspect()).models).toEqual([]);
  });

  it("cancel by modelId reaches a load in progress (loads are filed under the id they will create)", async () => {
    const progress = recordProgress();
    const load = client.loadModel({ modelSrc: server.url("/slow.gguf"), modelConfig: { ctx_size: 1500 }, onProgress: progress.onProgress });
    await progress.when((event) => event.loaded > 0);
    const [entry] = (await client.inspect()).requests;
    expect(entry).toMatchObject({ kind: "loadModel", requestId: load.requestId });
    expect(await client.cancel({ modelId: entry!.modelId! })).toEqual({ cancelled: 1 });
    await expect(load).rejects.toBeInstanceOf(InferenceCancelledError);
  });

  it("a missing model file is a typed error", async () => {
    await expect(client.loadModel({ modelSrc: "/definitely/not/here.gguf" })).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(client.loadModel({ modelSrc: "/etc/passwd" })).rejects.toMatchObject({ code: 50001, field: "modelSrc" });
  });

  it("the content decides, not the file name: a GGUF named model.bin (or with no extension) loads, a text file named .gguf is refused", async () => {
    const renamedBin = path.join(cache.path, "model.bin");
    const renamedBare = path.join(cache.path, "model");
    const fake = path.join(cache.path, "fake.gguf");
    await copyFile(await tinyModel(), renamedBin);
    await copyFile(await tinyModel(), renamedBare);
    await writeFile(fake, "this is not a model\n");
    for (const modelSrc of [renamedBin, renamedBare]) {
      const modelId = await client.loadModel({ modelSrc });
      expect((await client.completion({ modelId, history: history(), maxTokens: 3 }).final).stopReason).toBe("length");
      await client.unloadModel({ modelId });
    }
    const refused = client.loadModel({ modelSrc: fake });
    await expect(refused).rejects.toMatchObject({ code: 50001, field: "modelSrc", message: expect.stringMatching(/not a GGUF model file/) });
    expect((await client.inspect()).requests).toEqual([]);
  });

  it("more threads than cores is clamped to the cores, with a REIN_THREADS_CLAMPED process warning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const cores = availableParallelism();
      const modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { threads: cores + 3 } });
      const model = (await client.inspect()).models.find((entry) => entry.modelId === modelId);
      expect(model?.threads).toBe(cores);
      // Asking for exactly the cores is the same model: the clamp is what the id is made of.
      expect(await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { threads: cores } })).toBe(modelId);
      await client.unloadModel({ modelId });
      await client.unloadModel({ modelId });
      await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on a later tick
      expect(warnings.filter((warning) => (warning as NodeJS.ErrnoException).code === "REIN_THREADS_CLAMPED")).toHaveLength(1);
      expect(warnings[0]?.message).toContain(`asks for ${cores + 3} threads, but this machine has ${cores} CPU cores`);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
