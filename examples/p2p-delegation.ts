/**
 * Delegation over HyperDHT: two peers serve a model, one app delegates to them.
 *
 * Everything runs in this one script on a private DHT (a local testnet on 127.0.0.1): two "GPU boxes" (a
 * WorkerHost each, served with servePeer and allowing only the app's key) and an app whose client keeps one
 * model on its own worker and delegates the other to the pool. It shows routing, a Stop button across the hop,
 * a group that spans both machines, and a peer that goes away mid-stream.
 *
 *   npm run example:p2p     (runs inside a loopback-only network namespace: the DHT sees no other address)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { formatPublicKey, loadOrCreateKeyPair, servePeer } from "@rein/p2p";
import { createClient, InferenceCancelledError, PeerUnreachableError, type CompletionRun } from "@rein/sdk";
import { WorkerHost } from "@rein/server";
import { exampleModelPath } from "@rein/test-model";

if (Object.keys(os.networkInterfaces()).some((name) => name !== "lo")) {
  console.error("This example starts DHT nodes: run it with `npm run example:p2p` (a loopback-only network namespace).");
  process.exit(2);
}

const createTestnet = createRequire(import.meta.url)("@hyperswarm/testnet") as (
  size: number,
  options: { host: string },
) => Promise<{ bootstrap: { host: string; port: number }[]; destroy(): Promise<void> }>;
const testnet = await createTestnet(3, { host: "127.0.0.1" });
const bootstrap = testnet.bootstrap.map(({ host, port }) => `${host}:${port}`);
const directory = await mkdtemp(path.join(os.tmpdir(), "rein-p2p-example-"));
const modelSrc = await exampleModelPath();

// The app's identity: the peers' operators allow this public key (`rein p2p key` prints a machine's own).
const appKeyPair = await loadOrCreateKeyPair(path.join(directory, "app-key-pair.json"));

/** One "GPU box": a worker host that lists the model, on the DHT under its own key (`rein serve --p2p` does this). */
async function startPeer(name: string) {
  const host = new WorkerHost({ remoteAccess: { models: [{ name: "tiny", modelSrc, modelConfig: { parallel: 2 } }] } });
  await host.configure({ defaultThreads: 1 });
  const operator = createClient({ connect: () => host.openStream({ trust: "local" }) });
  await operator.loadModel({ modelSrc, modelConfig: { parallel: 2 } });
  // Where each request ran, from the peer's own registry.
  const ended = new Map<string, string>();
  host.setLogSink((message) => {
    if (message.data?.event === "end") ended.set(String(message.data.requestId), String(message.data.state));
  });
  const served = await servePeer({
    host,
    keyPair: await loadOrCreateKeyPair(path.join(directory, `${name}-key-pair.json`)),
    allow: [formatPublicKey(appKeyPair.publicKey)],
    bootstrap,
    // The testnet is on this machine: directly reachable, no hole punching.
    firewalled: false,
    log: () => undefined,
  });
  return { name, publicKey: served.publicKey, ended, served, operator, host };
}

const boxes = await Promise.all([startPeer("box-a"), startPeer("box-b")]);
const [boxA, boxB] = boxes as [(typeof boxes)[0], (typeof boxes)[0]];
const ranOn = (requestId: string) => boxes.find((box) => box.ended.has(requestId))?.name ?? "nowhere";
console.log(`peers: box-a=${boxA.publicKey.slice(0, 8)}… box-b=${boxB.publicKey.slice(0, 8)}…`);

const client = createClient({ bootstrap, keyPair: appKeyPair });
const small = await client.loadModel({ modelSrc }); // stays on the app's own worker
const pooled = await client.loadModel({ modelSrc: "tiny", delegate: { peers: [boxA.publicKey, boxB.publicKey], routing: "roundRobin" } });
const ask = (content: string, extra: { maxTokens?: number; peer?: string; parent?: { requestId: string } } = {}) =>
  client.completion({ modelId: pooled, history: [{ role: "user", content }], maxTokens: extra.maxTokens ?? 6, peer: extra.peer, parent: extra.parent });

// 1. Routing: round robin sends one request to each box.
const first = ask("Hello, box one?");
const second = ask("Hello, box two?");
await Promise.all([first.text, second.text]);
console.log(`routing: request 1 ran on ${ranOn(first.requestId)}, request 2 ran on ${ranOn(second.requestId)}`);

/** Resolves at a run's first token without leaving its event stream (leaving it would cancel the run). */
async function firstToken(run: CompletionRun): Promise<void> {
  const reader = run.events[Symbol.asyncIterator]();
  for (let next = await reader.next(); !next.done; next = await reader.next()) if (next.value.type === "contentDelta") return;
}

// 2. A Stop button across the hop: cancel by requestId stops the decode on the peer.
const long = ask("Tell me a long story.", { maxTokens: 100_000 });
await firstToken(long);
const stopped = await client.cancel({ requestId: long.requestId });
const cancelled = (await long.text.catch((error: unknown) => error)) as InferenceCancelledError;
console.log(`stop: cancelled=${stopped.cancelled} on ${ranOn(long.requestId)} (${boxes.find((box) => box.ended.has(long.requestId))?.ended.get(long.requestId)}), partial ${cancelled.partial?.text?.length ?? 0} chars, code ${cancelled.code}`);

// 3. One group spans both machines: a local completion and a delegated one, one cancel.
const task = client.group();
const localPart = client.completion({ modelId: small, history: [{ role: "user", content: "Draft locally." }], maxTokens: 100_000, parent: task });
const remotePart = ask("Draft remotely.", { maxTokens: 100_000, parent: task });
await Promise.all([firstToken(localPart), firstToken(remotePart)]);
await task.cancel();
const reasons = await Promise.all([localPart, remotePart].map(async (run) => ((await run.text.catch((error: unknown) => error)) as InferenceCancelledError).reason));
console.log(`group: local=${reasons[0]} remote=${reasons[1]} (remote part on ${ranOn(remotePart.requestId)})`);

// 4. A peer goes away mid-stream: its run fails typed, never retried elsewhere; the pool serves from the other.
const doomed = ask("Stream until box-b leaves.", { maxTokens: 100_000, peer: boxB.publicKey });
await firstToken(doomed);
await boxB.served.close();
const lost = await doomed.text.catch((error: unknown) => error);
console.log(`box-b left: ${PeerUnreachableError.isInstance(lost) ? `${lost.name} (code ${lost.code})` : String(lost)}`);
const after = ask("Anyone still there?");
await after.text;
console.log(`after box-b left: ran on ${ranOn(after.requestId)}`);
console.log(`peers now: ${(await client.peers()).map((peer) => `${peer.peer.slice(5, 13)}…=${peer.up ? "up" : "down"}`).join(" ")}`);

await client.close();
for (const box of boxes) {
  await box.served.close();
  await box.operator.close();
  await box.host.shutdown();
}
await testnet.destroy();
await rm(directory, { recursive: true, force: true });
console.log("done");
