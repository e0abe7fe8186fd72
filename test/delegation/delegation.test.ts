import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPublicKey, loadOrCreateKeyPair, type PeerKeyPair } from "@rein/p2p";
import { createClient, InferenceCancelledError, InvalidInputError, PeerUnreachableError, RequestTimeoutError, type ReinClient } from "@rein/sdk";
import { firstDelta } from "../helpers/run-events.ts";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";
import { assertLoopbackOnly, startTestnet } from "../p2p/loopback-only.ts";
import { startPeerProcess, type PeerProcess } from "../p2p/peer-process.ts";

assertLoopbackOnly();

/** How one request ended in a peer's registry (its lifecycle "end" line). */
const endedOn = async (peer: PeerProcess, requestId: string) =>
  (await peer.waitFor((event) => event.lifecycle?.event === "end" && event.lifecycle.requestId === requestId)).lifecycle!;
const seenBy = (peer: PeerProcess, requestId: string) => peer.events.some((event) => event.lifecycle?.requestId === requestId);

describe("models delegated to peers over HyperDHT (local testnet, loopback-only namespace)", () => {
  let testnet: Awaited<ReturnType<typeof startTestnet>>;
  let directory: string;
  let peers: PeerProcess[];
  let keyPair: PeerKeyPair;
  let otherKeyPair: PeerKeyPair;
  let client: ReinClient;
  let modelId: string;
  let localModelId: string;
  const address = (peer: PeerProcess) => peer.publicKey;

  beforeAll(async () => {
    testnet = await startTestnet();
    directory = await mkdtemp(path.join(os.tmpdir(), "rein-delegation-"));
    keyPair = await loadOrCreateKeyPair(path.join(directory, "client.json"));
    otherKeyPair = await loadOrCreateKeyPair(path.join(directory, "other.json"));
    const models = [{ name: "tiny", modelSrc: await tinyModel(), modelConfig: { parallel: 2 } }];
    const allow = [formatPublicKey(keyPair.publicKey), formatPublicKey(otherKeyPair.publicKey)];
    peers = await Promise.all(
      ["a", "b"].map((name) => startPeerProcess({ bootstrap: testnet.bootstrap, keyFile: path.join(directory, `peer-${name}.json`), allow, models })),
    );
    client = createTestClient({ bootstrap: testnet.bootstrap, keyPair });
    localModelId = await client.loadModel({ modelSrc: await tinyModel() });
    modelId = await client.loadModel({ modelSrc: "tiny", delegate: { peer: address(peers[0]!) } });
  });
  afterAll(async () => {
    await client?.close();
    await Promise.all((peers ?? []).map((peer) => peer.stop()));
    await testnet?.destroy();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it("runs a delegated completion and embed on the peer, while local models stay local", async () => {
    expect(modelId).toMatch(/^delegated-/);
    const run = client.completion({ modelId, history: history(), maxTokens: 8 });
    expect((await run.final).stopReason).toBe("length");
    expect(await endedOn(peers[0]!, run.requestId)).toMatchObject({ state: "completed" });
    const embedding = client.embed({ modelId, text: "delegated" });
    expect((await embedding).vectors[0]!.length).toBeGreaterThan(0);
    expect(await endedOn(peers[0]!, embedding.requestId)).toMatchObject({ kind: "embeddings", state: "completed" });

    const local = client.completion({ modelId: localModelId, history: history(), maxTokens: 4 });
    await local.final;
    expect(peers.some((peer) => seenBy(peer, local.requestId))).toBe(false);
    // The local worker never heard of the delegated model.
    expect((await client.inspect()).models.map((model) => model.modelId)).toEqual([localModelId]);
  });

  it("cancels by requestId across the hop: the peer's registry ends it cancelled and the caller gets the partial", async () => {
    const run = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    await firstDelta(run);
    expect(await client.cancel({ requestId: run.requestId })).toEqual({ cancelled: 1 });
    const error = (await run.text.catch((caught: unknown) => caught)) as InferenceCancelledError;
    expect(InferenceCancelledError.isInstance(error)).toBe(true);
    expect(error.partial?.text).toBeTruthy();
    expect(await endedOn(peers[0]!, run.requestId)).toMatchObject({ state: "cancelled" });
  });

  it("broad-cancels by the delegated modelId and kind, and by AbortSignal", async () => {
    const first = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    const second = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    await Promise.all([firstDelta(first), firstDelta(second)]);
    expect(await client.cancel({ modelId, kind: "completion" })).toEqual({ cancelled: 2 });
    for (const run of [first, second]) {
      expect(InferenceCancelledError.isInstance(await run.text.catch((caught: unknown) => caught))).toBe(true);
      expect(await endedOn(peers[0]!, run.requestId)).toMatchObject({ state: "cancelled" });
    }

    const controller = new AbortController();
    const signalled = client.completion({ modelId, history: history(), maxTokens: 100_000, signal: controller.signal });
    await firstDelta(signalled);
    controller.abort(new Error("stop"));
    const error = (await signalled.text.catch((caught: unknown) => caught)) as InferenceCancelledError;
    expect(error.reason).toBe("abortSignal");
    expect(await endedOn(peers[0]!, signalled.requestId)).toMatchObject({ state: "cancelled" });
  });

  it("a same-tick cancel stops a delegated request before it is sent: the peer never sees it", async () => {
    const run = client.completion({ modelId, history: history(), maxTokens: 100_000 });
    expect(await client.cancel({ requestId: run.requestId })).toEqual({ cancelled: 1 });
    expect(InferenceCancelledError.isInstance(await run.text.catch((caught: unknown) => caught))).toBe(true);
    // A later request on the same connection is seen: every earlier line has arrived by the time its end has.
    const after = client.completion({ modelId, history: history(), maxTokens: 2 });
    await after.final;
    await endedOn(peers[0]!, after.requestId);
    expect(seenBy(peers[0]!, run.requestId)).toBe(false);
  });

  it("a local group's cancel stops its remote child, and a local parent's deadline bounds it on the peer", async () => {
    const group = client.group();
    const child = client.completion({ modelId, history: history(), maxTokens: 100_000, parent: group });
    await firstDelta(child);
    await group.cancel();
    const error = (await child.text.catch((caught: unknown) => caught)) as InferenceCancelledError;
    expect(InferenceCancelledError.isInstance(error)).toBe(true);
    expect(error.reason).toBe("parentCancelled");
    expect(await endedOn(peers[0]!, child.requestId)).toMatchObject({ state: "cancelled" });

    // The deadline is sent as time remaining: the peer's own registry ends the child when it passes.
    const bounded = client.group({ timeoutMs: 1_500 });
    const late = client.completion({ modelId, history: history(), maxTokens: 100_000, parent: bounded });
    expect(RequestTimeoutError.isInstance(await late.text.catch((caught: unknown) => caught))).toBe(true);
    expect(await endedOn(peers[0]!, late.requestId)).toMatchObject({ reason: expect.stringMatching(/timeout|deadline/) });
  });

  it("enforces a delegated request's own deadline on the peer", async () => {
    const run = client.completion({ modelId, history: history(), maxTokens: 100_000, timeoutMs: 1_000 });
    const error = await run.text.catch((caught: unknown) => caught);
    expect(RequestTimeoutError.isInstance(error)).toBe(true);
    expect(await endedOn(peers[0]!, run.requestId)).toMatchObject({ state: "cancelled" });
  });

  it("least busy routes by the peers' own counts, which include other callers' requests", async () => {
    const pooled = await client.loadModel({ modelSrc: "tiny", delegate: { peers: peers.map(address) } });
    // Another app keeps peer 0 busy: this client sent nothing there, only the peer's own status can tell.
    const other = createClient({ peer: peers[0]!.publicKey, bootstrap: testnet.bootstrap, keyPair: otherKeyPair });
    try {
      const busy = other.completion({ modelId: peers[0]!.models.tiny!, history: history(), maxTokens: 100_000 });
      await firstDelta(busy);
      const reported = await client.peers();
      expect(reported.find((peer) => peer.peer === `peer:${peers[0]!.publicKey}`)).toMatchObject({ up: true, running: 1, queued: 0 });
      const run = client.completion({ modelId: pooled, history: history(), maxTokens: 2 });
      await run.final;
      expect(await endedOn(peers[1]!, run.requestId)).toMatchObject({ state: "completed" });
      await busy.cancel();
    } finally {
      await other.close();
    }
    await client.unloadModel({ modelId: pooled });
  });

  it("routes a pool's requests to its peers, by name on request, and keeps serving when one peer dies", async () => {
    const load = client.loadModel({ modelSrc: "tiny", delegate: { peers: peers.map(address), routing: "roundRobin" } });
    const pooled = await load;
    // One load request, under one requestId on every peer of the pool.
    for (const peer of peers) expect(await endedOn(peer, load.requestId)).toMatchObject({ state: "completed" });
    const runs = [0, 1].map(() => client.completion({ modelId: pooled, history: history(), maxTokens: 2 }));
    await Promise.all(runs.map((run) => run.final));
    const served = await Promise.all(runs.map((run) => Promise.race(peers.map((peer, index) => endedOn(peer, run.requestId).then(() => index)))));
    expect(served.sort()).toEqual([0, 1]);

    // A peer that stops answering (frozen: its socket stays open, so no transport notices) is dropped by the
    // status heartbeat: what ran there settles typed, and new requests go to the peer that answers.
    const frozen = client.completion({ modelId: pooled, history: history(), maxTokens: 100_000, peer: address(peers[1]!) });
    await firstDelta(frozen);
    peers[1]!.child.kill("SIGSTOP");
    expect(PeerUnreachableError.isInstance(await frozen.text.catch((caught: unknown) => caught))).toBe(true);
    const rerouted = client.completion({ modelId: pooled, history: history(), maxTokens: 2 });
    await rerouted.final;
    expect(await endedOn(peers[0]!, rerouted.requestId)).toMatchObject({ state: "completed" });
    peers[1]!.child.kill("SIGCONT");
    // Back: the client reconnects (loading the model there again) and routes to it by name.
    const back = client.completion({ modelId: pooled, history: history(), maxTokens: 2, peer: address(peers[1]!) });
    await back.final;
    expect(await endedOn(peers[1]!, back.requestId)).toMatchObject({ state: "completed" });

    // Mid-stream on peer 1, then peer 1 dies: that run settles with a typed error, the pool keeps serving from peer 0.
    const doomed = client.completion({ modelId: pooled, history: history(), maxTokens: 100_000, peer: address(peers[1]!) });
    await firstDelta(doomed);
    peers[1]!.child.kill("SIGKILL");
    const lost = (await doomed.text.catch((caught: unknown) => caught)) as PeerUnreachableError;
    expect(PeerUnreachableError.isInstance(lost)).toBe(true);
    expect(lost.publicKey).toBe(peers[1]!.publicKey);
    const next = client.completion({ modelId: pooled, history: history(), maxTokens: 2 });
    expect((await next.final).stopReason).toBe("length");
    expect(await endedOn(peers[0]!, next.requestId)).toMatchObject({ state: "completed" });
  });

  it("a client key the peer does not allow is refused: the load fails typed and nothing runs there", async () => {
    const strangerKeyPair = await loadOrCreateKeyPair(path.join(directory, "stranger.json"));
    const stranger = createTestClient({ bootstrap: testnet.bootstrap, keyPair: strangerKeyPair });
    try {
      const load = stranger.loadModel({ modelSrc: "tiny", delegate: { peer: address(peers[0]!) } });
      expect(PeerUnreachableError.isInstance(await load.catch((caught: unknown) => caught))).toBe(true);
      expect(seenBy(peers[0]!, load.requestId)).toBe(false);
      expect(peers[0]!.events).not.toContainEqual({ connection: `peer:${formatPublicKey(strangerKeyPair.publicKey)}` });
    } finally {
      await stranger.close();
    }
  });

  it("refuses bad delegations with a typed error naming the field", async () => {
    const refusal = async (promise: Promise<unknown>) => (await promise.catch((caught: unknown) => caught)) as InvalidInputError;
    expect((await refusal(client.loadModel({ modelSrc: "tiny", delegate: { peer: "not-a-key" } }))).field).toBe("delegate.peer");
    expect((await refusal(client.loadModel({ modelSrc: "tiny", delegate: {} }))).field).toBe("delegate");
    expect((await refusal(client.loadModel({ modelSrc: "tiny", delegate: { peer: address(peers[0]!), routing: "fastest" as never } }))).field).toBe("delegate.routing");
    const misrouted = client.completion({ modelId: localModelId, history: history(), peer: address(peers[0]!) });
    expect((await refusal(misrouted.text)).field).toBe("peer");
  });
});
