import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPublicKey, loadOrCreateKeyPair, type PeerKeyPair } from "@rein/p2p";
import { createClient, InferenceCancelledError, PeerUnreachableError, type ReinClient } from "@rein/sdk";
import { firstDelta } from "../helpers/run-events.ts";
import { history, tinyModel } from "../helpers/rein-test-client.ts";
import { assertLoopbackOnly, startTestnet } from "./loopback-only.ts";
import { preparePeerProcess, startPeerProcess, type PeerProcess } from "./peer-process.ts";

assertLoopbackOnly();

describe("a client of a Rein peer over HyperDHT (local testnet, loopback-only namespace)", () => {
  let testnet: Awaited<ReturnType<typeof startTestnet>>;
  let directory: string;
  let peer: PeerProcess;
  let clientKeyPair: PeerKeyPair;
  let modelId: string;
  const clients: ReinClient[] = [];
  const client = (keyPair: PeerKeyPair = clientKeyPair) => {
    const created = createClient({ peer: peer.publicKey, bootstrap: testnet.bootstrap, keyPair });
    clients.push(created);
    return created;
  };
  let replacement: Awaited<ReturnType<typeof preparePeerProcess>> | undefined;
  let preparing: Promise<Awaited<ReturnType<typeof preparePeerProcess>>>;
  const peerOptions = async () => ({
    bootstrap: testnet.bootstrap,
    keyFile: path.join(directory, "server-key-pair.json"),
    allow: [formatPublicKey(clientKeyPair.publicKey)],
    models: [{ name: "tiny", modelSrc: await tinyModel(), modelConfig: { parallel: 2 } }],
  });

  beforeAll(async () => {
    testnet = await startTestnet();
    directory = await mkdtemp(path.join(os.tmpdir(), "rein-p2p-"));
    clientKeyPair = await loadOrCreateKeyPair(path.join(directory, "client-key-pair.json"));
    // The SIGKILL test's replacement peer loads its model beside the first one; it goes on the DHT (same key
    // file) only after the kill.
    preparing = preparePeerProcess(await peerOptions()).then((prepared) => (replacement = prepared));
    peer = await startPeerProcess(await peerOptions());
    modelId = peer.models.tiny!;
  });
  afterAll(async () => {
    await Promise.all(clients.map((each) => each.close()));
    await peer?.stop();
    await (replacement ?? (await preparing?.catch(() => undefined)))?.stop();
    await testnet?.destroy();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it("runs a completion and an embedding on the peer, as its own owner", async () => {
    const alice = client();
    expect(await alice.completion({ modelId, history: history(), maxTokens: 4 }).text).toEqual(expect.any(String));
    const embedding = await alice.embed({ modelId, texts: ["hello", "world"] });
    expect(embedding.vectors).toHaveLength(2);
    expect(embedding.vectors[0]).toHaveLength(embedding.dimension);
    expect(peer.events).toContainEqual({ connection: `peer:${formatPublicKey(clientKeyPair.publicKey)}` });
  });

  it("cancels a streaming completion by requestId across the hop: the peer's registry ends it cancelled", async () => {
    const alice = client();
    const run = alice.completion({ modelId, history: history(), maxTokens: 100_000 });
    await firstDelta(run);
    expect(await alice.cancel({ requestId: run.requestId })).toEqual({ cancelled: 1 });
    const error = await run.text.catch((caught: unknown) => caught);
    expect(InferenceCancelledError.isInstance(error)).toBe(true);
    const ended = await peer.waitFor((event) => event.lifecycle?.event === "end" && event.lifecycle.requestId === run.requestId);
    expect(ended.lifecycle?.state).toBe("cancelled");
    expect((await alice.inspect()).requests).toEqual([]);
  });

  it("refuses a client key the peer did not allow: typed error, nothing reaches the peer's host", async () => {
    const stranger = await loadOrCreateKeyPair(path.join(directory, "stranger-key-pair.json"));
    const before = peer.events.length;
    const error = await client(stranger).inspect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PeerUnreachableError);
    expect((error as PeerUnreachableError).publicKey).toBe(peer.publicKey);
    expect(peer.events.slice(before)).toEqual([]);
  });

  it("a SIGKILLed peer settles the pending calls with PeerUnreachableError; the next call reaches the restarted peer (same key)", async () => {
    const alice = client();
    const running = alice.completion({ modelId, history: history(), maxTokens: 100_000 });
    await firstDelta(running);
    const second = alice.completion({ modelId, history: history(), maxTokens: 100_000 });
    await peer.waitFor((event) => event.lifecycle?.event === "begin" && event.lifecycle.requestId === second.requestId);
    const publicKey = peer.publicKey;
    peer.child.kill("SIGKILL");
    await peer.exited;
    const errors = await Promise.all([running.text, second.text].map((text) => text.catch((caught: unknown) => caught)));
    for (const error of errors) {
      expect(error).toBeInstanceOf(PeerUnreachableError);
      expect((error as PeerUnreachableError).publicKey).toBe(publicKey);
    }
    peer = await (await preparing).listen();
    replacement = undefined;
    expect(peer.publicKey).toBe(publicKey);
    expect((await alice.inspect()).requests).toEqual([]);
    expect(await alice.completion({ modelId: peer.models.tiny!, history: history(), maxTokens: 3 }).text).toEqual(expect.any(String));
  });
});
