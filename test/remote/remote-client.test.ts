import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createClient,
  InferenceCancelledError,
  InvalidInputError,
  ModelNotLoadedError,
  PermissionDeniedError,
  RequestTimeoutError,
  type ReinClient,
} from "@rein/sdk";
import { firstDelta } from "../helpers/run-events.ts";
import { history, tinyModel } from "../helpers/rein-test-client.ts";
import { startHostProcess, type HostProcess } from "./host-process.ts";

const keys = { "key-alice": "alice", "key-bob": "bob", "key-admin": "" };

describe("a remote client over WebSocket", () => {
  let host: HostProcess;
  let modelId: string;
  const clients: ReinClient[] = [];
  const client = (apiKey: string | undefined) => {
    const created = createClient({ url: host.url, apiKey });
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    host = await startHostProcess({ keys, models: [{ name: "tiny", modelSrc: await tinyModel(), modelConfig: { parallel: 2 } }] });
    modelId = host.models.tiny!;
  });
  afterAll(async () => {
    await Promise.all(clients.map((each) => each.close()));
    await host?.stop();
  });

  it("streams a completion, cancels it by requestId and gets the typed error with the partial output", async () => {
    const alice = client("key-alice");
    const run = alice.completion({ modelId, history: history(), maxTokens: 100_000 });
    expect(run.requestId).toMatch(/^[0-9a-f-]{36}$/);
    await firstDelta(run);
    expect(await alice.cancel({ requestId: run.requestId })).toEqual({ cancelled: 1 });
    const error = await run.text.catch((caught: unknown) => caught);
    expect(InferenceCancelledError.isInstance(error)).toBe(true);
    expect((error as InferenceCancelledError).partial?.text).toBeTruthy();
    expect((await alice.inspect()).requests).toEqual([]);
  });

  it("loads an allowed model by name (the operator's source and config, so the same id) and unloads only its own reference", async () => {
    const bob = client("key-bob");
    expect(await bob.loadModel({ modelSrc: "tiny" })).toBe(modelId);
    expect((await bob.inspect()).models.find((model) => model.modelId === modelId)?.references).toBe(2);
    expect(await bob.unloadModel({ modelId })).toMatchObject({ freed: false, references: 1 });
    // The operator's reference is not bob's to give back.
    await expect(bob.unloadModel({ modelId })).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("refuses what a remote caller must never do, with typed errors, and keeps serving", async () => {
    const bob = client("key-bob");
    await expect(bob.loadModel({ modelSrc: "/etc/passwd" })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(bob.loadModel({ modelSrc: "tiny", modelConfig: { ctx_size: 64 } })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(bob.downloadAsset({ url: "http://127.0.0.1:9/x.gguf" })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(bob.ragListWorkspaces()).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(bob.completion({ modelId: "no-such-model", history: history() }).text).rejects.toBeInstanceOf(ModelNotLoadedError);
    expect(() => createClient({ url: host.url, threads: 2 })).toThrow(InvalidInputError);
    expect(() => createClient({ url: "http://127.0.0.1:1/rein" })).toThrow(/ws:\/\//);
    expect(await bob.completion({ modelId, history: history(), maxTokens: 3 }).text).toEqual(expect.any(String));
  });

  it("a wrong or missing API key is refused before anything runs", async () => {
    await expect(client("wrong").inspect()).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(client(undefined).completion({ modelId, history: history() }).text).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("each key sees, cancels and parents only its own requests; the admin key sees all", async () => {
    const alice = client("key-alice");
    const bob = client("key-bob");
    const admin = client("key-admin");
    const run = alice.completion({ modelId, history: history(), maxTokens: 100_000 });
    await firstDelta(run);
    expect(await bob.cancel({ requestId: run.requestId })).toEqual({ cancelled: 0 });
    expect(await bob.cancel({ modelId })).toEqual({ cancelled: 0 });
    expect((await bob.inspect()).requests).toEqual([]);
    // bob cannot hang his own work under alice's run either: to him that id does not exist.
    const child = bob.completion({ modelId, history: history(), maxTokens: 2, parent: run.requestId });
    expect(await child.text).toEqual(expect.any(String));
    expect((await admin.inspect()).requests.map((request) => request.requestId)).toContain(run.requestId);
    expect((await alice.inspect()).requests.map((request) => request.requestId)).toEqual([run.requestId]);
    expect(await alice.cancel({ modelId })).toEqual({ cancelled: 1 });
    await expect(run.text).rejects.toBeInstanceOf(InferenceCancelledError);
  });

  it("AbortSignal, server-side deadlines and groups work across the connection", async () => {
    const alice = client("key-alice");
    const controller = new AbortController();
    const aborted = alice.completion({ modelId, history: history(), maxTokens: 100_000, signal: controller.signal });
    await firstDelta(aborted);
    controller.abort();
    await expect(aborted.text).rejects.toBeInstanceOf(InferenceCancelledError);

    const timed = alice.completion({ modelId, history: history(), maxTokens: 100_000, timeoutMs: 300 });
    await expect(timed.text).rejects.toBeInstanceOf(RequestTimeoutError);

    const group = alice.group();
    const first = alice.completion({ modelId, history: history(), maxTokens: 100_000, parent: group });
    const second = alice.completion({ modelId, history: history(), maxTokens: 100_000, parent: group });
    await Promise.all([firstDelta(first), firstDelta(second)]);
    expect(await group.cancel()).toEqual({ cancelled: 3 });
    await expect(first.text).rejects.toBeInstanceOf(InferenceCancelledError);
    await expect(second.text).rejects.toBeInstanceOf(InferenceCancelledError);
    expect((await alice.inspect()).requests).toEqual([]);
  });
});
