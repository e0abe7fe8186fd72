import type { Duplex } from "node:stream";
import { InvalidInputError } from "@rein/protocol";
import { checkBootstrap } from "./bootstrap-list.ts";
import { DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_MS, DEFAULT_STREAM_TIMEOUT_MS } from "./connect-to-peer.ts";
import { hyperDht, type DhtSocket } from "./hyperdht-module.ts";
import { formatPublicKey, parsePublicKey, type PeerKeyPair } from "./key-pair.ts";
import { PeerStream } from "./peer-stream.ts";
import { exchangeHello } from "./transport-hello.ts";

/** What servePeer needs of `@rein/server`'s WorkerHost (structurally: this package does not depend on it). */
export interface PeerHost {
  connect(stream: Duplex, options: { trust: "remote"; owner: string }): unknown;
}

export interface ServePeerOptions {
  host: PeerHost;
  /** The server's identity: its public key is its address on the DHT. */
  keyPair: PeerKeyPair;
  /** Client public keys (64 hex characters) that may connect; every other key is refused by the DHT firewall. */
  allow?: string[];
  /** Let any client key connect (a warning is logged). Each client is still its own owner. */
  allowAnyClient?: boolean;
  /** DHT bootstrap nodes, `host:port`; default hyperdht's public ones. Tests must pass a local testnet. */
  bootstrap?: string[];
  /**
   * `false`: this machine is directly reachable at the address the DHT sees (a public address, or a local testnet),
   * so clients connect without holepunching. Default: hyperdht detects it. Measured on a loopback testnet: against
   * a server left to detect it, most first connections from a freshly started client process opened and never
   * carried a byte (the hello catches them, but retries on the same fresh node kept failing); with `false`, none.
   */
  firewalled?: boolean;
  /** How long a client's hello may take once its connection is open (default 1.5 s). */
  helloTimeoutMs?: number;
  /** Keep-alive interval (default 1 s). */
  keepAliveMs?: number;
  /** A connection that receives nothing (not even a keep-alive) for this long is closed (default 3 s). */
  streamTimeoutMs?: number;
  /** Notices (the open firewall, refused hellos); default `console.warn`. */
  log?: (message: string) => void;
}

export interface ServedPeer {
  /** This server's public key, 64 hex characters: what clients pass as `peer`. */
  readonly publicKey: string;
  /** Connections open right now (past the firewall; hello done or pending). */
  readonly connections: number;
  /** Stops listening, closes every connection (the host cancels what each started) and leaves the DHT. */
  close(): Promise<void>;
}

/**
 * Serves a worker host on the DHT under `keyPair`. The firewall refuses every
 * client key not in `allow` (unless `allowAnyClient`) before any byte of Rein
 * is read; an accepted connection gets keep-alive and a stream timeout, the
 * transport hello, then `host.connect(stream, { trust: "remote", owner:
 * "peer:<client public key>" })`: the same dispatcher and registry as the
 * WebSocket transport, with the client's key as its owner.
 *
 * @example
 * ```ts
 * const served = await servePeer({ host, keyPair: await loadOrCreateKeyPair(file), allow: [clientKey] });
 * console.log(`p2p: ${served.publicKey}`);
 * ```
 */
export async function servePeer(options: ServePeerOptions): Promise<ServedPeer> {
  const bootstrap = checkBootstrap(options.bootstrap, "servePeer");
  const allowed = new Set((options.allow ?? []).map((key, index) => formatPublicKey(parsePublicKey(key, { field: `allow.${index}`, operation: "servePeer" }))));
  const allowAny = options.allowAnyClient === true;
  if (allowed.size === 0 && !allowAny) {
    throw new InvalidInputError({ field: "allow", reason: "name at least one client public key, or set allowAnyClient: a DHT server open to nobody serves nothing", operation: "servePeer" });
  }
  const log = options.log ?? ((message: string) => console.warn(message));
  if (allowAny) log("rein p2p: allowAnyClient: every client key may connect (each is still scoped to its own requests)");
  const helloTimeoutMs = options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const streamTimeoutMs = options.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS;

  const DHT = hyperDht();
  const node = new DHT({ keyPair: options.keyPair, ...(bootstrap === undefined ? {} : { bootstrap }), ...(options.firewalled === undefined ? {} : { firewalled: options.firewalled }) });
  const sockets = new Set<DhtSocket>();
  // hyperdht's firewall answers "refuse?": true drops the connection before it is opened.
  const server = node.createServer({ firewall: (remotePublicKey) => !allowAny && !allowed.has(formatPublicKey(remotePublicKey)) });
  server.on("connection", (socket) => {
    socket.on("error", () => undefined);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.setKeepAlive(keepAliveMs);
    socket.setTimeout(streamTimeoutMs);
    const owner = `peer:${formatPublicKey(socket.remotePublicKey)}`;
    void exchangeHello(socket, {
      role: "server",
      timeoutMs: helloTimeoutMs,
      adopt: (rest) => options.host.connect(new PeerStream(socket, rest), { trust: "remote", owner }),
    }).then((hello) => {
      if (hello.ok) return;
      log(`rein p2p: dropped a connection from ${owner}: ${hello.reason}`);
      socket.destroy();
    });
  });
  try {
    await server.listen(options.keyPair);
  } catch (error) {
    await node.destroy({ force: true }).catch(() => undefined);
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    publicKey: formatPublicKey(options.keyPair.publicKey),
    get connections() {
      return sockets.size;
    },
    close: () =>
      (closing ??= (async () => {
        for (const socket of sockets) socket.destroy();
        await server.close().catch(() => undefined);
        await node.destroy().catch(() => undefined);
      })()),
  };
}
