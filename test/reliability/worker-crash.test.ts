/**
 * Worker death (SIGKILL, process.exit, a native abort) in the middle of
 * streams, loads, downloads and custom ops: every pending call settles at once
 * with WorkerCrashedError, streams end with that error, and the next call runs
 * on a fresh worker.
 */
import { ErrorCode, ModelNotLoadedError, WorkerCrashedError, type ReinClient } from "@rein/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomAsset, startAssetServer, type AssetServer } from "../helpers/asset-server.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";
import { createTestClient, history, mediumModel, tinyModel } from "../helpers/rein-test-client.ts";
import { drainWithin, reasonOf, RELIABILITY_OPS_MODULE, settleWithin } from "../helpers/reliability-support.ts";
// firstDelta never leaves a loop over run.events, which would cancel the run and race the SIGKILL.
import { firstDelta } from "../helpers/run-events.ts";

// Generous safety net: crash detection takes milliseconds, this only turns a hang into a failure.
const BOUND_MS = 5_000;

function expectCrash(error: unknown, signal: string | null = "SIGKILL", exitCode: number | null = null): WorkerCrashedError {
  expect(WorkerCrashedError.isInstance(error), `expected WorkerCrashedError, got ${String(error)}`).toBe(true);
  const crash = error as WorkerCrashedError;
  expect(crash.code).toBe(ErrorCode.WorkerCrashed);
  expect(crash.signal).toBe(signal);
  expect(crash.exitCode).toBe(exitCode);
  // The caller must learn that the models went with the worker.
  expect(crash.message).toMatch(/models? .*(gone|lost)|load(ed)? again/i);
  return crash;
}

async function expectCrashWithin(promise: Promise<unknown>, label: string, signal: string | null = "SIGKILL", exitCode: number | null = null) {
  return expectCrash(reasonOf(await settleWithin(promise, BOUND_MS, label)), signal, exitCode);
}

async function killWorker(client: ReinClient): Promise<number> {
  const pid = client.workerPid;
  expect(pid).toBeTypeOf("number");
  process.kill(pid!, "SIGKILL");
  return pid!;
}

/** Waits until the client noticed the kill (a call in the gap gets WorkerCrashedError) and a fresh worker answers. */
async function freshWorker(client: ReinClient): Promise<void> {
  const probe = await settleWithin(client.inspect(), 60_000, "inspect after the kill");
  if (probe.status === "rejected") expectCrash(probe.reason);
  await client.inspect();
}

describe("worker crash", () => {
  const log = lifecycleLog();
  let client: ReinClient;
  let server: AssetServer;
  let tinyPath: string;

  beforeAll(async () => {
    tinyPath = await tinyModel();
    await mediumModel();
    server = await startAssetServer();
    client = createTestClient({ logger: log.logger, opModules: [RELIABILITY_OPS_MODULE] });
  });

  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it("SIGKILL mid-stream: running, queued and custom calls all settle with WorkerCrashedError; streams throw it after completionDone(error)", async () => {
    const modelId = await client.loadModel({ modelSrc: tinyPath, modelConfig: { parallel: 1 } });
    const running = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    const queued = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    const held = client.call("reliability.hold", {});
    const customStream = client.stream<string, string>("reliability.hold", {});
    const embedding = client.embed({ modelId, text: "embed me while the worker dies" });
    await firstDelta(running);
    await log.waitFor({ event: "queued", requestId: queued.requestId });
    await log.waitFor({ event: "begin", requestId: held.requestId });
    await log.waitFor({ event: "begin", requestId: customStream.requestId });
    const pid = await killWorker(client);

    const stream = await drainWithin(running.events, BOUND_MS, "running.events");
    expectCrash(stream.error);
    const done = stream.events.at(-1);
    expect(done).toMatchObject({ type: "completionDone", stopReason: "error" });
    expect(stream.events.filter((event) => event.type === "completionDone")).toHaveLength(1);

    await expectCrashWithin(running.final, "running.final");
    await expectCrashWithin(running.text, "running.text");
    await expectCrashWithin(running.stats, "running.stats");
    await expectCrashWithin(running.toolCalls, "running.toolCalls");
    await expectCrashWithin(queued.final, "queued.final");
    expectCrash((await drainWithin(queued.events, BOUND_MS, "queued.events")).error);
    await expectCrashWithin(held, "custom op");
    const custom = await drainWithin(customStream, BOUND_MS, "custom op stream");
    expect(custom.events).toEqual(["holding"]);
    expectCrash(custom.error);
    await expectCrashWithin(customStream.result, "custom op stream result");
    // The embed either ran before the kill or was pending: it must not be left hanging either way.
    const embedOutcome = await settleWithin(embedding, BOUND_MS, "embed");
    if (embedOutcome.status === "rejected") expectCrash(embedOutcome.reason);

    // The next call starts a fresh worker; the old model is gone with the old one.
    const lost = reasonOf(await settleWithin(client.completion({ modelId, history: history(), maxTokens: 4 }).final, 60_000, "completion on the lost model"));
    expect(ModelNotLoadedError.isInstance(lost), String(lost)).toBe(true);
    expect((lost as ModelNotLoadedError).code).toBe(ErrorCode.ModelNotLoaded);
    expect(client.workerPid).not.toBe(pid);
    const snapshot = await client.inspect();
    expect(snapshot.models).toEqual([]);
    expect(snapshot.requests).toEqual([]);

    const reloaded = await client.loadModel({ modelSrc: tinyPath, modelConfig: { parallel: 1 } });
    expect(reloaded).toBe(modelId);
    const text = await client.completion({ modelId: reloaded, history: history(), maxTokens: 8 }).text;
    expect(text.length).toBeGreaterThan(0);
    await client.unloadModel({ modelId: reloaded });
  });

  it("SIGKILL mid-load (native load of the medium model): the load rejects with WorkerCrashedError and the next load works", async () => {
    // A fresh worker: its first load also initialises the native runtime, so `begin` is surely mid-load.
    await client.ready();
    await killWorker(client);
    await freshWorker(client);
    const load = client.loadModel({ modelSrc: await mediumModel() });
    await log.waitFor({ event: "begin", requestId: load.requestId });
    await killWorker(client);
    await expectCrashWithin(load, "loadModel");
    expect(log.of(load.requestId).some((entry) => entry.event === "end")).toBe(false);

    const modelId = await client.loadModel({ modelSrc: tinyPath });
    expect((await client.inspect()).models.map((model) => model.modelId)).toEqual([modelId]);
    expect((await client.completion({ modelId, history: history(), maxTokens: 8 }).text).length).toBeGreaterThan(0);
    await client.unloadModel({ modelId });
  });

  it("SIGKILL mid-download: downloadAsset and a URL loadModel both reject with WorkerCrashedError; the server sees the transfers cut", async () => {
    server.setAsset("/slow.bin", randomAsset(4 << 20, 3), { dripBytesPerChunk: 4096, dripIntervalMs: 20 });
    server.setAsset("/slow-model.gguf", randomAsset(4 << 20, 4), { dripBytesPerChunk: 4096, dripIntervalMs: 20 });
    const progress: number[] = [];
    const download = client.downloadAsset({ url: server.url("/slow.bin"), fileName: `crash-${Date.now()}.bin`, onProgress: (event) => progress.push(event.loaded) });
    const load = client.loadModel({ modelSrc: server.url("/slow-model.gguf") });
    await server.waitForRequest("/slow.bin");
    await server.waitForRequest("/slow-model.gguf");
    await killWorker(client);
    await expectCrashWithin(download, "downloadAsset");
    await expectCrashWithin(load, "loadModel from URL");
    await settleWithin(server.waitForAbort("/slow.bin"), BOUND_MS, "server sees /slow.bin cut");
    await settleWithin(server.waitForAbort("/slow-model.gguf"), BOUND_MS, "server sees /slow-model.gguf cut");

    server.setAsset("/small.bin", randomAsset(10_000, 5));
    const result = await client.downloadAsset({ url: server.url("/small.bin"), fileName: `small-${Date.now()}.bin` });
    expect(result.bytes).toBe(10_000);
    const modelId = await client.loadModel({ modelSrc: tinyPath });
    expect((await client.completion({ modelId, history: history(), maxTokens: 8 }).text).length).toBeGreaterThan(0);
    await client.unloadModel({ modelId });
  });

  it("process.exit(3) inside a handler: its call and every other pending call get WorkerCrashedError with exitCode 3", async () => {
    const held = client.call("reliability.hold", {});
    await log.waitFor({ event: "begin", requestId: held.requestId });
    const exiting = client.call("reliability.exit", { how: "exit", code: 3 });
    await expectCrashWithin(exiting, "exiting call", null, 3);
    await expectCrashWithin(held, "held call", null, 3);
    await expect(client.call("reliability.echo", { value: "alive" })).resolves.toBe("alive");
  });

  it("a native crash (abort, SIGABRT) is reported with its signal and the next call works", async () => {
    const held = client.call("reliability.hold", {});
    await log.waitFor({ event: "begin", requestId: held.requestId });
    const crashing = client.call("reliability.exit", { how: "abort" });
    await expectCrashWithin(crashing, "aborting call", "SIGABRT");
    await expectCrashWithin(held, "held call", "SIGABRT");
    await expect(client.call("reliability.echo", { value: 1 })).resolves.toBe(1);
  });

  it("a crash while idle is invisible to the next call, and cancel() during the gap never throws", async () => {
    await client.ready();
    const pid = await killWorker(client);
    const cancel = await settleWithin(client.cancel({ requestId: crypto.randomUUID() }), BOUND_MS, "cancel after crash");
    expect(cancel).toEqual({ status: "fulfilled", value: { cancelled: 0 } });
    await expect(client.call("reliability.echo", { value: "fresh" })).resolves.toBe("fresh");
    expect(client.workerPid).not.toBe(pid);
  });

  it("a call issued in the same tick as the kill settles (on the old worker's crash or the fresh worker), never hangs", async () => {
    await client.ready();
    await killWorker(client);
    const outcome = await settleWithin(client.call("reliability.echo", { value: "racing" }), 60_000, "call racing the crash");
    if (outcome.status === "rejected") expectCrash(outcome.reason);
    else expect(outcome.value).toBe("racing");
    await expect(client.call("reliability.echo", { value: "after" })).resolves.toBe("after");
  });

  it("no promise is left pending after repeated crashes under load", async () => {
    const modelId = await client.loadModel({ modelSrc: tinyPath, modelConfig: { parallel: 2 } });
    for (let round = 0; round < 3; round += 1) {
      const current = round === 0 ? modelId : await client.loadModel({ modelSrc: tinyPath, modelConfig: { parallel: 2 } });
      const runs = Array.from({ length: 4 }, () => client.completion({ modelId: current, history: history(), maxTokens: 100_000 }));
      const holds = Array.from({ length: 3 }, () => client.call("reliability.hold", {}));
      await firstDelta(runs[0]!);
      await killWorker(client);
      const outcomes = await Promise.all([...runs.map((run) => run.final), ...holds].map((promise, index) => settleWithin(promise, BOUND_MS, `call ${index} of round ${round}`)));
      for (const outcome of outcomes) expectCrash(reasonOf(outcome));
    }
    const snapshot = await client.inspect();
    expect(snapshot.requests).toEqual([]);
  });
});
