import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InferenceCancelledError, type LogMessage } from "@rein/sdk";
import { createTestClient, history, mediumModel, tinyModel } from "../helpers/rein-test-client.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("the first load of a model file resolves its chat template off the worker's event loop (real worker)", () => {
  // Each test gets its own cache dir: a worker keeps each file's chat-template choice there, and a choice an
  // earlier test file's worker kept (the suite shares one REIN_CACHE_DIR) would leave nothing to resolve.
  let cache: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => {
    cache = await makeTempDir();
  });
  afterEach(async () => {
    await cache.remove();
  });

  it("answers a cancel by id of another run and an inspect sent while the load resolves the template; the model then works", async () => {
    const mediumPath = await mediumModel();
    let onResolving = () => {};
    const resolving = new Promise<void>((resolve) => (onResolving = resolve));
    const logger = (entry: LogMessage) => {
      if (entry.message.startsWith(`${mediumPath}: resolving its chat template in a worker thread`)) onResolving();
    };
    await using client = createTestClient({ logger, cacheDir: cache.path });
    const tiny = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { ctx_size: 2048 } });

    // A run streaming on the tiny model; every event is consumed (leaving the loop early would cancel it).
    const run = client.completion({ modelId: tiny, history: history(), maxTokens: 4000, temperature: 0 });
    let onFirstChunk = () => {};
    const firstChunk = new Promise<void>((resolve) => (onFirstChunk = resolve));
    const order: string[] = [];
    const drained = (async () => {
      for await (const event of run.events) if (event.type === "contentDelta") onFirstChunk();
    })();
    await firstChunk;

    const load = client.loadModel({ modelSrc: mediumPath, modelConfig: { ctx_size: 2048 } });
    const loaded = load.then((modelId) => {
      order.push("medium loaded");
      return modelId;
    });
    // The worker logs this line as the resolution starts (this is the medium file's first load in this worker).
    await resolving;
    const cancelled = client.cancel({ requestId: run.requestId }).then((result) => {
      order.push("cancel acknowledged");
      return result;
    });
    const inspected = client.inspect().then((snapshot) => {
      order.push("inspect answered");
      return snapshot;
    });
    const runDone = run.final.then(
      () => order.push("run finished"),
      (error: unknown) => {
        order.push("run finished");
        throw error;
      },
    );

    expect(await cancelled).toEqual({ cancelled: 1 });
    await expect(runDone).rejects.toBeInstanceOf(InferenceCancelledError);
    const snapshot = await inspected;
    const mediumId = await loaded;
    await drained;
    // All three answered while the load was still resolving: before its reply, and the snapshot shows it in flight.
    expect(order.at(-1)).toBe("medium loaded");
    expect(order.slice(0, 3).sort()).toEqual(["cancel acknowledged", "inspect answered", "run finished"]);
    expect(snapshot.requests.map((request) => request.requestId)).toContain(load.requestId);

    const completion = client.completion({ modelId: mediumId, history: history(), maxTokens: 5, temperature: 0 });
    expect((await completion.final).stopReason).toBe("length");
  });

  it("a cancel of the load itself while it resolves the template rejects it, leaves nothing behind, and the next load resolves again", async () => {
    const mediumPath = await mediumModel();
    let resolvingLines = 0;
    let onResolving = () => {};
    let resolving = new Promise<void>((resolve) => (onResolving = resolve));
    const logger = (entry: LogMessage) => {
      if (!entry.message.startsWith(`${mediumPath}: resolving its chat template in a worker thread`)) return;
      resolvingLines += 1;
      onResolving();
    };
    await using client = createTestClient({ logger, cacheDir: cache.path });
    const load = client.loadModel({ modelSrc: mediumPath, modelConfig: { ctx_size: 2048 } });
    await resolving;
    expect(await load.cancel()).toEqual({ cancelled: 1 });
    await expect(load).rejects.toBeInstanceOf(InferenceCancelledError);
    const snapshot = await client.inspect();
    expect(snapshot.models).toEqual([]);
    expect(snapshot.requests).toEqual([]);

    resolving = new Promise<void>((resolve) => (onResolving = resolve));
    const modelId = await client.loadModel({ modelSrc: mediumPath, modelConfig: { ctx_size: 2048 } });
    await resolving;
    // The cancelled resolution was not remembered: the second load resolved the template itself.
    expect(resolvingLines).toBe(2);
    const completion = client.completion({ modelId, history: history(), maxTokens: 5, temperature: 0 });
    expect((await completion.final).stopReason).toBe("length");
  });

  it("a later worker on the same cache dir takes the file's choice from there: no thread, no resolution", async () => {
    const tinyPath = await tinyModel();
    const resolvingLines: string[] = [];
    const logger = (entry: LogMessage) => {
      if (entry.message.startsWith(`${tinyPath}: resolving its chat template in a worker thread`)) resolvingLines.push(entry.message);
    };
    {
      await using first = createTestClient({ logger, cacheDir: cache.path });
      await first.loadModel({ modelSrc: tinyPath, modelConfig: { ctx_size: 2048 } });
    }
    expect(resolvingLines).toHaveLength(1);
    expect(existsSync(join(cache.path, "engine", "chat-wrappers.json"))).toBe(true);

    await using next = createTestClient({ logger, cacheDir: cache.path });
    const modelId = await next.loadModel({ modelSrc: tinyPath, modelConfig: { ctx_size: 2048 } });
    expect(resolvingLines).toHaveLength(1);
    const completion = next.completion({ modelId, history: history(), maxTokens: 5, temperature: 0 });
    expect((await completion.final).stopReason).toBe("length");
  });
});
