/**
 * Models after a crash: gone by default (ModelNotLoadedError on the old id),
 * reloaded under the same ids before the next call with
 * `reloadModelsOnRestart: true`.
 */
import { copyFile, rm } from "node:fs/promises";
import path from "node:path";
import { ErrorCode, ModelNotLoadedError, WorkerCrashedError, type ReinClient } from "@rein/sdk";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";
import { liveChildPids, reasonOf, RELIABILITY_OPS_MODULE, settleWithin } from "../helpers/reliability-support.ts";
import { firstDelta } from "../helpers/run-events.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const BOUND_MS = 60_000;

/** Kills the worker and waits until the client noticed (a call in the gap gets WorkerCrashedError). */
async function crash(client: ReinClient): Promise<number> {
  const pid = client.workerPid!;
  process.kill(pid, "SIGKILL");
  const probe = await settleWithin(client.cancel({ modelId: "probe-after-crash" }), BOUND_MS, "cancel after crash");
  expect(probe.status).toBe("fulfilled");
  // cancel() does not restart the worker; wait for the old connection to be declared dead by a call that uses it.
  await settleWithin(client.call("reliability.echo", { value: 0 }), BOUND_MS, "first call after the crash");
  return pid;
}

describe("models after a worker crash", () => {
  let tinyPath: string;
  let client: ReinClient | undefined;

  beforeAll(async () => {
    tinyPath = await tinyModel();
  });

  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it("by default the next completion on the old modelId rejects with ModelNotLoadedError (52003) naming it", async () => {
    client = createTestClient({ opModules: [RELIABILITY_OPS_MODULE] });
    const modelId = await client.loadModel({ modelSrc: tinyPath });
    await crash(client);
    const error = reasonOf(await settleWithin(client.completion({ modelId, history: history(), maxTokens: 4 }).final, BOUND_MS, "completion"));
    expect(ModelNotLoadedError.isInstance(error), String(error)).toBe(true);
    expect((error as ModelNotLoadedError).code).toBe(ErrorCode.ModelNotLoaded);
    expect((error as ModelNotLoadedError).modelId).toBe(modelId);
    expect((await client.inspect()).models).toEqual([]);
  });

  it("reloadModelsOnRestart: the next completion on the SAME modelId works, with the same references", async () => {
    client = createTestClient({ reloadModelsOnRestart: true, opModules: [RELIABILITY_OPS_MODULE] });
    const modelId = await client.loadModel({ modelSrc: tinyPath, modelConfig: { parallel: 2 } });
    expect(await client.loadModel({ modelSrc: tinyPath, modelConfig: { parallel: 2 } })).toBe(modelId);
    const other = await client.loadModel({ modelSrc: tinyPath, modelConfig: { ctx_size: 512 } });
    const oldPid = client.workerPid;
    process.kill(oldPid!, "SIGKILL");

    const text = await settleWithin(client.completion({ modelId, history: history(), maxTokens: 8 }).text, BOUND_MS, "completion after restart");
    // The completion may have raced the crash detection; a second one must work on the fresh worker either way.
    if (text.status === "rejected") expect(WorkerCrashedError.isInstance(text.reason), String(text.reason)).toBe(true);
    const again = await client.completion({ modelId, history: history(), maxTokens: 8 }).text;
    expect(again.length).toBeGreaterThan(0);
    expect(client.workerPid).not.toBe(oldPid);

    const models = (await client.inspect()).models;
    expect(models.map((model) => [model.modelId, model.references]).sort()).toEqual([[modelId, 2], [other, 1]].sort());
    expect(models.find((model) => model.modelId === modelId)?.parallel).toBe(2);
  });

  it("reloadModelsOnRestart after a crash mid-stream: the stream gets WorkerCrashedError, the next one runs on the reloaded model", async () => {
    client = createTestClient({ reloadModelsOnRestart: true, opModules: [RELIABILITY_OPS_MODULE] });
    const modelId = await client.loadModel({ modelSrc: tinyPath });
    const run = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    // Not a `break` out of run.events: that would cancel the run and race the kill.
    await firstDelta(run);
    process.kill(client.workerPid!, "SIGKILL");
    expect(WorkerCrashedError.isInstance(reasonOf(await settleWithin(run.final, 5_000, "run.final")))).toBe(true);
    const text = await client.completion({ modelId, history: history(), maxTokens: 8 }).text;
    expect(text.length).toBeGreaterThan(0);
  });

  it("an unloaded model is not reloaded after a crash", async () => {
    client = createTestClient({ reloadModelsOnRestart: true, opModules: [RELIABILITY_OPS_MODULE] });
    const kept = await client.loadModel({ modelSrc: tinyPath });
    const dropped = await client.loadModel({ modelSrc: tinyPath, modelConfig: { ctx_size: 256 } });
    await client.unloadModel({ modelId: dropped });
    await crash(client);
    expect((await client.inspect()).models.map((model) => model.modelId)).toEqual([kept]);
  });

  it("a reload that fails (model file gone) does not block unrelated calls and leaves no orphan worker", async () => {
    const directory = await makeTempDir("rein-reload-");
    try {
      const movable = path.join(directory.path, "movable.gguf");
      await copyFile(tinyPath, movable);
      client = createTestClient({ reloadModelsOnRestart: true, opModules: [RELIABILITY_OPS_MODULE] });
      const modelId = await client.loadModel({ modelSrc: movable });
      await rm(movable);
      process.kill(client.workerPid!, "SIGKILL");

      // Calls that do not need the lost model keep working on the fresh worker.
      let echoed: unknown;
      for (let attempt = 0; attempt < 3 && echoed !== "still works"; attempt += 1) {
        const outcome = await settleWithin(client.call("reliability.echo", { value: "still works" }), BOUND_MS, "echo after failed reload");
        echoed = outcome.status === "fulfilled" ? outcome.value : outcome.reason;
      }
      expect(echoed).toBe("still works");
      // The model that could not come back is reported as not loaded, not as a transport failure.
      const error = reasonOf(await settleWithin(client.completion({ modelId, history: history(), maxTokens: 4 }).final, BOUND_MS, "completion"));
      expect(ModelNotLoadedError.isInstance(error), String(error)).toBe(true);
      // Exactly one worker runs: a fresh worker whose reload failed must not be left behind.
      expect(await liveChildPids()).toEqual([client.workerPid]);
    } finally {
      await directory.remove();
    }
  });
});
