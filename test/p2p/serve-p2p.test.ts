import { stat, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPublicKey, loadOrCreateKeyPair } from "@rein/p2p";
import { createClient } from "@rein/sdk";
import { startRein } from "../cli/cli-process.ts";
import { history } from "../helpers/rein-test-client.ts";
import { startServeProcess } from "../serve/serve-process.ts";
import { assertLoopbackOnly, startTestnet } from "./loopback-only.ts";

assertLoopbackOnly();

describe("rein serve --p2p and rein p2p key", () => {
  let testnet: Awaited<ReturnType<typeof startTestnet>>;
  let cacheDir: string;

  beforeAll(async () => {
    testnet = await startTestnet();
    cacheDir = await mkdtemp(path.join(os.tmpdir(), "rein-p2p-cli-"));
  });
  afterAll(async () => {
    await testnet?.destroy();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it("refuses --p2p without --allow or --allow-any-client, with one line, before loading anything", async () => {
    const cli = startRein(["serve", "--model", "tiny", "--port", "0", "--p2p", "--bootstrap", testnet.bootstrap[0]!], { env: { REIN_CACHE_DIR: cacheDir } });
    expect((await cli.exited).code).toBe(2);
    expect(cli.stderr.trim().split("\n")).toHaveLength(1);
    expect(cli.stderr).toMatch(/--p2p needs --allow <client public key>.*--allow-any-client/);
    expect(cli.stdout).not.toMatch(/listening/);
  });

  it("rein p2p key prints this machine's client key (kept mode 0600); rein serve --p2p --allow <it> prints its p2p key and serves that client", async () => {
    const cli = startRein(["p2p", "key"], { env: { REIN_CACHE_DIR: cacheDir } });
    expect((await cli.exited).code).toBe(0);
    const clientKey = cli.stdout.trim();
    expect(clientKey).toMatch(/^[0-9a-f]{64}$/);
    const keyFile = path.join(cacheDir, "p2p", "client-key-pair.json");
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    // What the SDK's client loads from the same file (a second CLI run would only cost a process start).
    expect(formatPublicKey((await loadOrCreateKeyPair(keyFile)).publicKey)).toBe(clientKey);

    const server = await startServeProcess(["--model", "tiny", "--p2p", "--allow", clientKey, "--bootstrap", testnet.bootstrap[0]!], { env: { REIN_CACHE_DIR: cacheDir } });
    try {
      await server.cli.waitForOutput((text) => /p2p: [0-9a-f]{64}\n/.test(text), "the p2p line");
      const publicKey = /p2p: ([0-9a-f]{64})\n/.exec(server.cli.stdout)![1]!;
      const models = (await (await server.fetch("/v1/models")).json()) as { data: { id: string }[] };
      expect(models.data.map((model) => model.id)).toEqual(["tiny"]);
      const peerClient = createClient({ peer: publicKey, bootstrap: testnet.bootstrap, keyPair: keyFile });
      try {
        const modelId = await peerClient.loadModel({ modelSrc: "tiny" });
        expect(await peerClient.completion({ modelId, history: history(), maxTokens: 3 }).text).toEqual(expect.any(String));
      } finally {
        await peerClient.close();
      }
    } finally {
      await server.stop();
    }
  });
});
