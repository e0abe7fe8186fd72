import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectToPeer, encodeHello, formatPublicKey } from "@rein/p2p";
import { PeerUnreachableError } from "@rein/sdk";
import { assertLoopbackOnly, startTestnet } from "./loopback-only.ts";

assertLoopbackOnly();

interface RawSocket {
  on(event: string, listener: (...values: never[]) => void): void;
  write(data: Buffer): void;
  destroy(): void;
}
interface RawNode {
  createServer(onConnection: (socket: RawSocket) => void): { listen(keyPair: unknown): Promise<void>; close(): Promise<void> };
  destroy(): Promise<void>;
}
const DHT = createRequire(import.meta.url)("hyperdht") as { new (options: { bootstrap: string[]; firewalled?: boolean }): RawNode; keyPair(): { publicKey: Buffer; secretKey: Buffer } };

/** A DHT server that opens connections but stays silent on the first `silentConnections` of them (the "open but dead" case). */
async function startServer(bootstrap: string[], silentConnections: number) {
  // Directly reachable on the loopback testnet (see ServePeerOptions.firewalled): only the silence is staged here.
  const node = new DHT({ bootstrap, firewalled: false });
  const keyPair = DHT.keyPair();
  let connections = 0;
  const server = node.createServer((socket) => {
    connections += 1;
    socket.on("error", () => undefined);
    if (connections > silentConnections) socket.write(encodeHello("server"));
  });
  await server.listen(keyPair);
  return {
    publicKey: formatPublicKey(keyPair.publicKey),
    get connections() {
      return connections;
    },
    close: async () => {
      await server.close();
      await node.destroy();
    },
  };
}

describe("the transport hello over a real DHT connection", () => {
  let testnet: Awaited<ReturnType<typeof startTestnet>>;
  beforeAll(async () => {
    testnet = await startTestnet();
  });
  afterAll(() => testnet?.destroy());

  it("drops a connection whose hello never comes and succeeds on a fresh one", async () => {
    const server = await startServer(testnet.bootstrap, 1);
    try {
      const stream = await connectToPeer({ publicKey: server.publicKey, bootstrap: testnet.bootstrap, helloTimeoutMs: 300, attempts: 3 });
      expect(server.connections).toBe(2);
      stream.destroy();
    } finally {
      await server.close();
    }
  });

  it("rejects with PeerUnreachableError after `attempts` silent connections", async () => {
    const server = await startServer(testnet.bootstrap, Number.POSITIVE_INFINITY);
    try {
      const error = await connectToPeer({ publicKey: server.publicKey, bootstrap: testnet.bootstrap, helloTimeoutMs: 200, attempts: 2 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PeerUnreachableError);
      expect((error as PeerUnreachableError).reason).toMatch(/no hello within 200 ms \(2 connections tried\)/);
      expect(server.connections).toBe(2);
    } finally {
      await server.close();
    }
  });

  it("a client's DHT node does not keep the process alive once its last connection closed", async () => {
    const server = await startServer(testnet.bootstrap, 0);
    try {
      const script = `
        import { connectToPeer } from "@rein/p2p";
        const stream = await connectToPeer({ publicKey: ${JSON.stringify(server.publicKey)}, bootstrap: ${JSON.stringify(testnet.bootstrap)} });
        stream.destroy();
        console.log("closed");`;
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      let output = "";
      child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
      // A guard against a hang, not a timing assertion: an exit at all is the behaviour under test.
      const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
      clearTimeout(guard);
      expect(output.trim()).toBe("closed");
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    } finally {
      await server.close();
    }
  });
});
