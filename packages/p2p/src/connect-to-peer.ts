import { InvalidInputError, PeerUnreachableError } from "@rein/protocol";
import { checkBootstrap } from "./bootstrap-list.ts";
import { acquireClientNode } from "./client-nodes.ts";
import type { DhtNode, DhtSocket } from "./hyperdht-module.ts";
import { formatPublicKey, parsePublicKey, type PeerKeyPair } from "./key-pair.ts";
import { PeerStream } from "./peer-stream.ts";
import { exchangeHello } from "./transport-hello.ts";

export interface ConnectToPeerOptions {
  /** The peer's public key, 64 hex characters (`rein serve --p2p` prints it). */
  publicKey: string;
  /** This client's identity (what the peer's operator allows); default: a new key pair per connection. */
  keyPair?: PeerKeyPair;
  /** DHT bootstrap nodes, `host:port`; default hyperdht's public ones. Tests must pass a local testnet. */
  bootstrap?: string[];
  /** How long finding and opening the connection may take (default 10 s). */
  connectTimeoutMs?: number;
  /** How long the peer's hello may take once the connection is open (default 1.5 s). */
  helloTimeoutMs?: number;
  /** Fresh connections tried when one opens but its hello never comes (default 3). */
  attempts?: number;
  /** Keep-alive interval (default 1 s). */
  keepAliveMs?: number;
  /** A connection that receives nothing (not even a keep-alive) for this long is closed (default 3 s). */
  streamTimeoutMs?: number;
}

export const DEFAULT_KEEP_ALIVE_MS = 1_000;
export const DEFAULT_STREAM_TIMEOUT_MS = 3_000;
export const DEFAULT_HELLO_TIMEOUT_MS = 1_500;

/**
 * Opens a stream to a Rein peer on the DHT and exchanges the transport
 * hello. Resolves with a duplex that carries Rein frames; with keep-alive and
 * a stream timeout set, a peer that dies ends it within ~3 s. A connection
 * that opens but stays silent is dropped and a fresh one tried (`attempts`);
 * a peer that is not found, refuses this key, or never says hello rejects
 * with PeerUnreachableError.
 *
 * @example
 * ```ts
 * const stream = await connectToPeer({ publicKey, bootstrap: testnet.bootstrap.map(({ host, port }) => `${host}:${port}`) });
 * const client = createClient({ connect: () => stream });
 * ```
 */
export async function connectToPeer(options: ConnectToPeerOptions): Promise<PeerStream> {
  const publicKey = parsePublicKey(options.publicKey, { field: "publicKey", operation: "connectToPeer" });
  const bootstrap = checkBootstrap(options.bootstrap, "connectToPeer");
  const attempts = positiveInteger(options.attempts ?? 3, "attempts");
  const connectTimeoutMs = positiveInteger(options.connectTimeoutMs ?? 10_000, "connectTimeoutMs");
  const helloTimeoutMs = positiveInteger(options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS, "helloTimeoutMs");
  const keepAliveMs = positiveInteger(options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS, "keepAliveMs");
  const streamTimeoutMs = positiveInteger(options.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS, "streamTimeoutMs");
  const hex = formatPublicKey(publicKey);
  const { node, release } = acquireClientNode(bootstrap);
  try {
    for (let attempt = 1; ; attempt += 1) {
      const socket = await openSocket(node, publicKey, options.keyPair, connectTimeoutMs, hex);
      socket.setKeepAlive(keepAliveMs);
      socket.setTimeout(streamTimeoutMs);
      const hello = await exchangeHello(socket, { role: "client", timeoutMs: helloTimeoutMs, adopt: (rest) => new PeerStream(socket, rest) });
      if (hello.ok) {
        hello.value.once("close", release);
        if (hello.value.destroyed) release();
        return hello.value;
      }
      socket.destroy();
      if (!hello.retry || attempt >= attempts) {
        throw new PeerUnreachableError({ publicKey: hex, reason: `${hello.reason}${hello.retry ? ` (${attempts} connection${attempts === 1 ? "" : "s"} tried)` : ""}` });
      }
    }
  } catch (error) {
    release();
    throw error;
  }
}

/** One connection attempt: resolves once the encrypted stream is open, rejects typed on failure or timeout. */
function openSocket(node: DhtNode, publicKey: Buffer, keyPair: PeerKeyPair | undefined, timeoutMs: number, hex: string): Promise<DhtSocket> {
  return new Promise((resolve, reject) => {
    const socket = node.connect(publicKey, keyPair ? { keyPair } : {});
    // Always listened to: an error without a listener would throw out of the stream.
    socket.on("error", () => undefined);
    const fail = (reason: string, cause?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new PeerUnreachableError({ publicKey: hex, reason, cause }));
    };
    const timer = setTimeout(() => fail(`no connection within ${timeoutMs} ms`), timeoutMs);
    socket.once("open", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      socket.off("close", onClose);
      resolve(socket);
    });
    const onError = (error: Error & { code?: string }) => fail(describeConnectError(error), error);
    const onClose = () => fail("the connection closed while opening");
    socket.once("error", onError);
    socket.once("close", onClose);
  });
}

function describeConnectError(error: Error & { code?: string }): string {
  if (error.code === "PEER_NOT_FOUND") return "no peer with this public key is on the DHT (PEER_NOT_FOUND)";
  if (error.code === "PEER_CONNECTION_FAILED") {
    return "the peer refused the connection or could not be reached (PEER_CONNECTION_FAILED); a Rein peer refuses every client key its operator did not allow (`rein serve --p2p --allow <key>`, `rein p2p key` prints this machine's)";
  }
  return error.code ? `${error.message} (${error.code})` : error.message;
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidInputError({ field, reason: "must be a positive integer", operation: "connectToPeer" });
  return value;
}
