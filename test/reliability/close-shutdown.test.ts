/**
 * `close()`: it resolves only after every running and queued request settled,
 * stops the worker, and every later call rejects with WorkerShutdownError
 * (50201); the client does not come back to life (documented in
 * WorkerSupervisor and ReinClient.close).
 */
import {
  ErrorCode,
  InferenceCancelledError,
  WorkerShutdownError,
  type CompletionRun,
  type ReinClient,
} from "@rein/sdk";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { randomAsset, startAssetServer } from "../helpers/asset-server.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";
import { liveChildPids, reasonOf, RELIABILITY_OPS_MODULE, settleWithin } from "../helpers/reliability-support.ts";

const BOUND_MS = 15_000;

/** A request stopped by close(): cancelled with reason "shutdown", or WorkerShutdownError. */
function expectStoppedByClose(error: unknown, label: string): "cancelled(shutdown)" | "WorkerShutdownError" {
  if (InferenceCancelledError.isInstance(error)) {
    expect(error.reason, label).toBe("shutdown");
    return "cancelled(shutdown)";
  }
  expect(WorkerShutdownError.isInstance(error), `${label}: ${String(error)}`).toBe(true);
  expect((error as WorkerShutdownError).code).toBe(ErrorCode.WorkerShutdown);
  return "WorkerShutdownError";
}

/**
 * Resolves at the run's first token while a reader keeps consuming the rest
 * (leaving a `for await` loop early would cancel the run).
 */
function streaming(run: CompletionRun): Promise<void> {
  return new Promise((resolve, reject) => {
    void (async () => {
      for await (const event of run.events) if (event.type === "contentDelta") resolve();
    })().then(() => reject(new Error("the run ended before its first token")), () => reject(new Error("the run failed before its first token")));
  });
}

describe("close() and shutdown", () => {
  let tinyPath: string;
  let client: ReinClient | undefined;

  beforeAll(async () => {
    tinyPath = await tinyModel();
  });

  afterEach(async () => {
    const closing = client?.close();
    client = undefined;
    if (closing) {
      const closed = await settleWithin(closing, BOUND_MS, "close() in afterEach");
      if (closed.status === "rejected") for (const pid of await liveChildPids()) process.kill(pid, "SIGKILL");
    }
  });

  it("with a running and a queued completion (parallel 1): resolves only after both settled, each cancelled (reason shutdown) or WorkerShutdownError", async () => {
    const log = lifecycleLog();
    client = createTestClient({ logger: log.logger });
    const modelId = await client.loadModel({ modelSrc: tinyPath, modelConfig: { parallel: 1 } });
    const order: string[] = [];
    const running = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    const queued = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    const runningOutcome = running.final.then(() => "completed", (error: unknown) => expectStoppedByClose(error, "running"));
    const queuedOutcome = queued.final.then(() => "completed", (error: unknown) => expectStoppedByClose(error, "queued"));
    void runningOutcome.then(() => order.push("running settled"));
    void queuedOutcome.then(() => order.push("queued settled"));
    await streaming(running);
    await log.waitFor({ event: "queued", requestId: queued.requestId });
    const pid = client.workerPid!;

    const closed = await settleWithin(client.close().then(() => order.push("close resolved")), BOUND_MS, "close()");
    expect(closed.status).toBe("fulfilled");
    expect(order).toEqual(expect.arrayContaining(["running settled", "queued settled"]));
    expect(order.at(-1)).toBe("close resolved");
    // Observed today: both end InferenceCancelledError with reason "shutdown" (the worker drains before it stops).
    expect(await runningOutcome).toMatch(/cancelled\(shutdown\)|WorkerShutdownError/);
    expect(await queuedOutcome).toMatch(/cancelled\(shutdown\)|WorkerShutdownError/);
    expect(await liveChildPids()).not.toContain(pid);
  });

  it("with a stream being read: the events end with completionDone (cancelled), not a silent stop", async () => {
    client = createTestClient();
    const modelId = await client.loadModel({ modelSrc: tinyPath });
    const run = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    const events: string[] = [];
    const reading = (async () => {
      for await (const event of run.events) {
        events.push(event.type === "completionDone" ? `done:${event.stopReason}` : event.type);
        if (events.length === 1) void client!.close();
      }
    })();
    const outcome = await settleWithin(reading, BOUND_MS, "reading the stream through close()");
    const last = events.at(-1);
    if (outcome.status === "rejected") expectStoppedByClose(outcome.reason, "stream");
    else expect(last).toBe("done:cancelled");
    expectStoppedByClose(reasonOf(await settleWithin(run.final, BOUND_MS, "run.final")), "run.final");
  });

  it("settles loads, downloads and custom ops in flight", async () => {
    const server = await startAssetServer();
    try {
      const log = lifecycleLog();
      client = createTestClient({ logger: log.logger, opModules: [RELIABILITY_OPS_MODULE] });
      server.setAsset("/drip.bin", randomAsset(2 << 20, 9), { dripBytesPerChunk: 4096, dripIntervalMs: 20 });
      const download = client.downloadAsset({ url: server.url("/drip.bin"), fileName: `close-${Date.now()}.bin` });
      const held = client.call("reliability.hold", {});
      const load = client.loadModel({ modelSrc: tinyPath, modelConfig: { ctx_size: 1024 } });
      // Observed from the start: whether they settle before close() resolves is the point.
      const outcomes = [download, held, load].map((promise) => settleWithin(promise, BOUND_MS, "call in flight at close()"));
      await server.waitForRequest("/drip.bin");
      await log.waitFor({ event: "begin", requestId: held.requestId });
      await log.waitFor({ event: "begin", requestId: load.requestId });
      expect((await settleWithin(client.close(), BOUND_MS, "close()")).status).toBe("fulfilled");
      const [downloaded, holding, loaded] = await Promise.all(outcomes);
      expectStoppedByClose(reasonOf(downloaded!), "download");
      expectStoppedByClose(reasonOf(holding!), "custom op");
      // The load may have finished before close() reached it; then it resolved, and the model was freed with the worker.
      if (loaded!.status === "rejected") expectStoppedByClose(loaded!.reason, "load");
    } finally {
      await server.close();
    }
  });

  it("every call after close() rejects with WorkerShutdownError (50201); cancel() answers { cancelled: 0 }; close() is idempotent", async () => {
    client = createTestClient({ opModules: [RELIABILITY_OPS_MODULE] });
    const modelId = await client.loadModel({ modelSrc: tinyPath });
    await client.close();
    const calls: Record<string, Promise<unknown>> = {
      completion: client.completion({ modelId, history: history(), maxTokens: 4 }).final,
      loadModel: client.loadModel({ modelSrc: tinyPath }),
      unloadModel: client.unloadModel({ modelId }),
      embed: client.embed({ modelId, text: "x" }),
      downloadAsset: client.downloadAsset({ url: "http://127.0.0.1:9/x.bin" }),
      call: client.call("reliability.echo", { value: 1 }),
      inspect: client.inspect(),
      ready: client.ready(),
    };
    for (const [name, promise] of Object.entries(calls)) {
      const error = reasonOf(await settleWithin(promise, BOUND_MS, name));
      expect(WorkerShutdownError.isInstance(error), `${name}: ${String(error)}`).toBe(true);
      expect((error as WorkerShutdownError).code).toBe(ErrorCode.WorkerShutdown);
    }
    const run = client.completion({ modelId, history: history() });
    const events = [];
    const iteration = await settleWithin(
      (async () => {
        for await (const event of run.events) events.push(event);
      })(),
      BOUND_MS,
      "events after close",
    );
    expect(WorkerShutdownError.isInstance(reasonOf(iteration))).toBe(true);
    await expect(client.cancel({ modelId })).resolves.toEqual({ cancelled: 0 });
    expect((await settleWithin(client.close(), BOUND_MS, "second close()")).status).toBe("fulfilled");
    expect(client.workerPid).toBeUndefined();
  });

  it("close() while the worker is still starting: the pending call settles and no worker is left behind", async () => {
    client = createTestClient({ opModules: [RELIABILITY_OPS_MODULE] });
    const echo = client.call("reliability.echo", { value: "early" });
    const closed = await settleWithin(client.close(), 60_000, "close() during start");
    expect(closed.status).toBe("fulfilled");
    const outcome = await settleWithin(echo, BOUND_MS, "call made before close()");
    if (outcome.status === "rejected") expectStoppedByClose(outcome.reason, "early call");
    expect(await liveChildPids()).toEqual([]);
  });

  it("close() while a soft-cancelled native call keeps running still resolves within a bound and stops the worker", async () => {
    const log = lifecycleLog();
    client = createTestClient({ logger: log.logger, opModules: [RELIABILITY_OPS_MODULE] });
    const stubborn = client.call("reliability.stubborn", {});
    const pid = (await client.ready()).pid;
    await log.waitFor({ event: "begin", requestId: stubborn.requestId });
    const closed = await settleWithin(client.close(), BOUND_MS * 2, "close() with work that ignores cancel");
    expect(closed.status).toBe("fulfilled");
    expectStoppedByClose(reasonOf(await settleWithin(stubborn, 1, "stubborn call")), "stubborn call");
    expect(await liveChildPids()).not.toContain(pid);
  });

  it("a loadModel stopped by close() before anyone awaited it raises no unhandled rejection (like every other call)", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const log = lifecycleLog();
      client = createTestClient({ logger: log.logger, opModules: [RELIABILITY_OPS_MODULE] });
      const load = client.loadModel({ modelSrc: tinyPath, modelConfig: { ctx_size: 768 } });
      const held = client.call("reliability.hold", {});
      await log.waitFor({ event: "begin", requestId: load.requestId });
      await log.waitFor({ event: "begin", requestId: held.requestId });
      await client.close();
      // Unhandled rejections are reported after the microtask queue drains: one event-loop turn is enough.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled.map(String)).toEqual([]);
      await load.catch(() => undefined);
      await held.catch(() => undefined);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
