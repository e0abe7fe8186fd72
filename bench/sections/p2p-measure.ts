/**
 * The p2p bench section's measurement, run by bench/sections/p2p.ts inside a loopback-only network namespace
 * (scripts/in-loopback-namespace.mjs): a local HyperDHT testnet, Rein peers in their own processes, a
 * WebSocket host process, a local worker and in-process node-llama-cpp. Reads its options as JSON from argv[2],
 * writes one JSON SectionReport on stdout, progress on stderr.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { formatPublicKey, loadOrCreateKeyPair } from "@rein/p2p";
import { createClient, PeerUnreachableError, type ReinClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";
import { startHostProcess } from "../../test/remote/host-process.ts";
import { startPeerProcess, type PeerProcess } from "../../test/p2p/peer-process.ts";
import { assertLoopbackOnly, startTestnet } from "../../test/p2p/loopback-only.ts";
import { cancelLatencyMs, decodeTokensPerSecond, present, timeToFirstChunkMs, type GenerationSettings, type GenerationTrace } from "../harness/generation-trace.ts";
import { createPlainContext, loadPlainModel, runPlainGeneration } from "../harness/plain-engine.ts";
import { shortHistory } from "../harness/prompts.ts";
import { reinModelConfig, runReinGeneration, startReinClient } from "../harness/rein-engine.ts";
import { blocks, formatNumber, formatPercent, LATENCY_HEADERS, latencyCells, markdownTable, type SectionReport } from "../report.ts";
import { interleave, median, pairedRatio, summarize } from "../stats.ts";

const CONTEXT_SIZE = 2048;
const API_KEY = "bench-key";
const VARIANTS = ["p2p", "delegated", "websocket", "local", "plain"] as const;
const LABELS: Record<(typeof VARIANTS)[number], string> = {
  p2p: "peer over HyperDHT (createClient({ peer }))",
  delegated: "model delegated to that peer (loadModel({ delegate }))",
  websocket: "remote client over WebSocket",
  local: "local client (fd-3 worker)",
  plain: "in-process node-llama-cpp",
};

const progress = (message: string) => process.stderr.write(`[bench p2p measure] ${message}\n`);

async function main(): Promise<SectionReport> {
  assertLoopbackOnly();
  const { threads, rounds, kills } = JSON.parse(process.argv[2] ?? "{}") as { threads: number; rounds: number; kills: number };
  const modelPath = await testModelPath({ preset: "tiny" });
  const modelConfig = reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 1 });
  const models = [{ name: "tiny", modelSrc: modelPath, modelConfig }];
  const settings: GenerationSettings = { maxTokens: 256, temperature: 0.8, seed: 42 };
  const testnet = await startTestnet();
  const directory = await mkdtemp(path.join(os.tmpdir(), "rein-bench-p2p-"));
  const clientKeyPair = await loadOrCreateKeyPair(path.join(directory, "client-key-pair.json"));
  const startPeer = (index: number) =>
    startPeerProcess({ bootstrap: testnet.bootstrap, keyFile: path.join(directory, `peer-${index}.json`), allow: [formatPublicKey(clientKeyPair.publicKey)], models });
  const peerClient = (peer: PeerProcess) => createClient({ peer: peer.publicKey, bootstrap: testnet.bootstrap, keyPair: clientKeyPair });

  progress(`starting a peer, a WebSocket host, a local worker, a delegating client and node-llama-cpp (${rounds} rounds)`);
  const peer = await startPeer(0);
  const host = await startHostProcess({ keys: { [API_KEY]: "bench" }, models });
  const p2p = peerClient(peer);
  const websocket = createClient({ url: host.url, apiKey: API_KEY });
  const local = await startReinClient({ threads });
  // An app whose own worker is idle here: every call on the delegated model goes to the peer.
  const delegating = createClient({ threads, bootstrap: testnet.bootstrap, keyPair: clientKeyPair });
  const plainModel = await loadPlainModel(modelPath);
  const plain = await createPlainContext(plainModel, { threads, contextSize: CONTEXT_SIZE, sequences: 1 });
  const clients: ReinClient[] = [p2p, websocket, local, delegating];
  try {
    const ids = {
      p2p: await p2p.loadModel({ modelSrc: "tiny" }),
      delegated: await delegating.loadModel({ modelSrc: "tiny", delegate: { peer: peer.publicKey } }),
      websocket: await websocket.loadModel({ modelSrc: "tiny" }),
      local: await local.loadModel({ modelSrc: modelPath, modelConfig }),
    };
    const clientOf = { p2p, delegated: delegating, websocket, local };
    const variants = (run: GenerationSettings, cancel: Parameters<typeof runReinGeneration>[0]["cancel"]) =>
      VARIANTS.map((name) => ({
        name,
        run: (round: number) =>
          name === "plain"
            ? runPlainGeneration({ model: plainModel, completion: plain.completions[0]!, history: shortHistory(round), settings: run, cancel })
            : runReinGeneration({ client: clientOf[name], modelId: ids[name], history: shortHistory(round), settings: run, cancel }),
      }));
    progress("streaming");
    const streaming = await interleave<GenerationTrace>({ warmupRounds: 2, rounds, variants: variants(settings, { kind: "none" }) });
    progress("cancel after 16 chunks");
    const cancels = await interleave<GenerationTrace>({ warmupRounds: 1, rounds: rounds * 2, variants: variants({ ...settings, maxTokens: 100_000 }, { kind: "afterChunks", chunks: 16 }) });
    progress(`SIGKILL of a peer mid-stream, ${kills} times`);
    const noticed = await deadPeerNotice({ kills, startPeer, peerClient });
    return report({ streaming, cancels, noticed, rounds, kills });
  } finally {
    await Promise.allSettled(clients.map((client) => client.close()));
    await peer.stop();
    await host.stop();
    await plain.dispose();
    await plainModel.dispose();
    await testnet.destroy();
    await rm(directory, { recursive: true, force: true });
  }
}

/** SIGKILL -> the pending completion rejects with PeerUnreachableError, once per fresh peer (started two at a time). */
async function deadPeerNotice(options: { kills: number; startPeer: (index: number) => Promise<PeerProcess>; peerClient: (peer: PeerProcess) => ReinClient }): Promise<number[]> {
  const samples: number[] = [];
  for (let kill = 0; kill < options.kills; kill += 1) {
    const peer = await options.startPeer(kill + 1);
    const client = options.peerClient(peer);
    try {
      const run = client.completion({ modelId: peer.models.tiny!, history: shortHistory(kill), maxTokens: 100_000 });
      const reader = run.events[Symbol.asyncIterator]();
      // The stream is flowing: the first chunk arrived (the iterator is never closed, so the run is not cancelled).
      for (let next = await reader.next(); !next.done && next.value.type !== "contentDelta"; next = await reader.next());
      const killedAt = performance.now();
      peer.child.kill("SIGKILL");
      const error = await run.text.catch((caught: unknown) => caught);
      if (!(error instanceof PeerUnreachableError)) throw new Error(`expected PeerUnreachableError, got ${String(error)}`);
      samples.push(performance.now() - killedAt);
    } finally {
      await client.close();
      await peer.stop();
    }
  }
  return samples;
}

function report(data: { streaming: Map<string, GenerationTrace[]>; cancels: Map<string, GenerationTrace[]>; noticed: number[]; rounds: number; kills: number }): SectionReport {
  const rate = (name: string) => data.streaming.get(name)!.map((trace) => decodeTokensPerSecond(trace) ?? Number.NaN);
  const firstChunk = (name: string) => present(data.streaming.get(name)!.map(timeToFirstChunkMs));
  const plainRate = rate("plain");
  const streamingRows = VARIANTS.map((name) => [LABELS[name], formatNumber(median(rate(name)), 1), name === "plain" ? "—" : formatPercent(pairedRatio(rate(name), plainRate)), formatNumber(median(firstChunk(name)))]);
  const cancelRows = VARIANTS.map((name) => [LABELS[name], ...latencyCells(summarize(present(data.cancels.get(name)!.map(cancelLatencyMs))))]);
  return {
    title: "P2P (HyperDHT, local testnet, loopback-only namespace) beside WebSocket, the local worker and in-process",
    body: blocks(
      `Tiny model, parallel 1, ${data.rounds} interleaved rounds of 256 tokens; cancel runs: ${data.rounds * 2} rounds, cancelled after the 16th chunk. ` +
        "Ratios are paired per round. With n this small, p99 is the largest sample or next to it.",
      markdownTable(["path", "decode tokens/s (median)", "vs in-process", "first chunk ms (median)"], streamingRows),
      "Cancel -> `completionDone` at the client (ms):",
      markdownTable(["path", ...LATENCY_HEADERS], cancelRows),
      `SIGKILL of the peer mid-stream -> the pending completion rejects with \`PeerUnreachableError\` (ms, n = ${data.kills}; keep-alive 1 s, stream timeout 3 s):`,
      markdownTable(LATENCY_HEADERS, [latencyCells(summarize(data.noticed), 0)]),
    ),
    behind: [],
  };
}

main().then(
  (section) => {
    process.stdout.write(`${JSON.stringify(section)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
