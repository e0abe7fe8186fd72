import path from "node:path";
import { defaultCacheDir, PeerUnreachableError } from "@rein/protocol";
import { streamLink } from "./stream-link.ts";
import type { TransportLink } from "./transport-link.ts";

/** An ed25519 key pair as HyperDHT uses it (the shape `@rein/p2p`'s `loadOrCreateKeyPair` returns). */
export interface PeerKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface PeerLinkOptions {
  /** The peer's public key, 64 hex characters. */
  publicKey: string;
  /** DHT bootstrap nodes (`host:port`); default hyperdht's public ones. */
  bootstrap?: string[];
  /** This client's key pair, or the file that keeps it; default `<cache>/p2p/client-key-pair.json`. */
  keyPair?: PeerKeyPair | string;
  /** How long finding and opening the connection may take (default 10 s). */
  connectTimeoutMs?: number;
}

/**
 * Where a client keeps its P2P identity unless told otherwise: the same key
 * on every run, so the peer's operator allows it once (`rein p2p key` prints it).
 *
 * @example
 * ```ts
 * defaultClientKeyPairFile(); // "/home/ada/.cache/rein/p2p/client-key-pair.json"
 * ```
 */
export function defaultClientKeyPairFile(): string {
  return path.join(defaultCacheDir(), "p2p", "client-key-pair.json");
}

/**
 * Connects to a Rein peer on the HyperDHT (`rein serve --p2p`) and links to
 * its worker host over the stream. Every call pending when the stream breaks
 * (keep-alive and stream timeouts notice a dead peer within ~3 s) settles with
 * PeerUnreachableError; the client's next call opens a new link.
 *
 * @example
 * ```ts
 * const link = await openPeerLink({ publicKey, bootstrap: ["127.0.0.1:49737"] });
 * ```
 */
export async function openPeerLink(options: PeerLinkOptions): Promise<TransportLink> {
  const p2p = await loadP2p(options.publicKey);
  const keyPair =
    typeof options.keyPair === "object"
      ? { publicKey: Buffer.from(options.keyPair.publicKey), secretKey: Buffer.from(options.keyPair.secretKey) }
      : await p2p.loadOrCreateKeyPair(options.keyPair ?? defaultClientKeyPairFile());
  const stream = await p2p.connectToPeer({ publicKey: options.publicKey, keyPair, bootstrap: options.bootstrap, connectTimeoutMs: options.connectTimeoutMs });
  let lastError: Error | undefined;
  stream.on("error", (error: Error) => {
    lastError = error;
  });
  return streamLink(stream, {
    address: `peer ${options.publicKey}`,
    errorOnClose: () =>
      new PeerUnreachableError({
        publicKey: options.publicKey.toLowerCase(),
        reason: lastError ? `the connection broke: ${lastError.message}` : "the peer closed the connection",
        cause: lastError,
      }),
  });
}

/** `@rein/p2p` is an optional peer: only a client of a DHT peer needs it (and hyperdht's native modules with it). */
async function loadP2p(publicKey: string): Promise<typeof import("@rein/p2p")> {
  try {
    return await import("@rein/p2p");
  } catch (error) {
    throw new PeerUnreachableError({ publicKey, reason: "createClient({ peer }) needs the @rein/p2p package: npm install @rein/p2p", cause: error });
  }
}
