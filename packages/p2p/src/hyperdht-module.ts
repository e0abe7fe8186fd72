import { createRequire } from "node:module";
import type { Duplex } from "node:stream";

/** The parts of hyperdht 6.34 Rein uses (it ships no types). */
export interface DhtSocket extends Duplex {
  readonly remotePublicKey: Buffer;
  setKeepAlive(milliseconds: number): void;
  setTimeout(milliseconds: number): void;
}

export interface DhtServer {
  on(event: "connection", listener: (socket: DhtSocket) => void): this;
  listen(keyPair: { publicKey: Buffer; secretKey: Buffer }): Promise<void>;
  close(): Promise<void>;
}

export interface DhtNode {
  createServer(options: { firewall: (remotePublicKey: Buffer) => boolean }): DhtServer;
  connect(publicKey: Buffer, options?: { keyPair?: { publicKey: Buffer; secretKey: Buffer } }): DhtSocket;
  destroy(options?: { force?: boolean }): Promise<void>;
}

export interface DhtConstructor {
  new (options: { bootstrap?: string[]; keyPair?: { publicKey: Buffer; secretKey: Buffer }; connectionKeepAlive?: number | false; firewalled?: boolean }): DhtNode;
  keyPair(seed?: Buffer): { publicKey: Buffer; secretKey: Buffer };
}

let loaded: DhtConstructor | undefined;

/** hyperdht is CommonJS without types: loaded once, through require, and typed here. */
export function hyperDht(): DhtConstructor {
  loaded ??= createRequire(import.meta.url)("hyperdht") as DhtConstructor;
  return loaded;
}
