import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { InvalidInputError } from "@rein/protocol";
import { hyperDht } from "./hyperdht-module.ts";

/** An ed25519 key pair as HyperDHT uses it: the public key is the peer's address on the DHT. */
export interface PeerKeyPair {
  publicKey: Buffer;
  secretKey: Buffer;
}

const PUBLIC_KEY_PATTERN = /^[0-9a-f]{64}$/i;

/**
 * A public key as people pass it around: 64 lowercase hex characters.
 *
 * @example
 * ```ts
 * console.log(`p2p: ${formatPublicKey(keyPair.publicKey)}`);
 * ```
 */
export function formatPublicKey(publicKey: Uint8Array): string {
  return Buffer.from(publicKey).toString("hex");
}

/**
 * Reads a public key given as 64 hex characters; anything else is an
 * InvalidInputError naming `field` (e.g. `peer`, `allow.0`).
 *
 * @example
 * ```ts
 * const key = parsePublicKey(process.argv[2], { field: "peer", operation: "rein chat" });
 * ```
 */
export function parsePublicKey(value: unknown, where: { field: string; operation?: string }): Buffer {
  if (typeof value !== "string" || !PUBLIC_KEY_PATTERN.test(value.trim())) {
    throw new InvalidInputError({ field: where.field, reason: "must be a public key of 64 hex characters (what `rein serve --p2p` or `rein p2p key` prints)", operation: where.operation });
  }
  return Buffer.from(value.trim(), "hex");
}

/**
 * Loads the key pair kept in `file`, or makes one and keeps it there (JSON,
 * hex, mode 0600, the directory created): the same machine keeps the same
 * public key, so an operator allows it once.
 *
 * @example
 * ```ts
 * const keyPair = await loadOrCreateKeyPair(path.join(cacheDir, "p2p", "server-key-pair.json"));
 * ```
 */
export async function loadOrCreateKeyPair(file: string): Promise<PeerKeyPair> {
  const existing = await readKeyPairFile(file);
  if (existing) return existing;
  const keyPair = hyperDht().keyPair();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written under a temporary name and renamed: a crash half-way never leaves a truncated key file behind.
  const temporary = `${file}.${process.pid}.tmp`;
  const text = `${JSON.stringify({ publicKey: formatPublicKey(keyPair.publicKey), secretKey: Buffer.from(keyPair.secretKey).toString("hex") }, null, 2)}\n`;
  await writeFile(temporary, text, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
  // Two processes may race to create it: whichever rename landed last is the key pair from now on.
  return (await readKeyPairFile(file)) ?? keyPair;
}

async function readKeyPairFile(file: string): Promise<PeerKeyPair | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let parsed: { publicKey?: unknown; secretKey?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new InvalidInputError({ field: "keyPair", reason: `${file} is not a key pair file (not JSON); move it away to make a new one`, operation: "loadOrCreateKeyPair" });
  }
  const publicKey = parsePublicKey(parsed.publicKey, { field: "keyPair.publicKey", operation: "loadOrCreateKeyPair" });
  if (typeof parsed.secretKey !== "string" || !/^[0-9a-f]{128}$/i.test(parsed.secretKey)) {
    throw new InvalidInputError({ field: "keyPair.secretKey", reason: `${file} holds no secret key of 128 hex characters`, operation: "loadOrCreateKeyPair" });
  }
  return { publicKey, secretKey: Buffer.from(parsed.secretKey, "hex") };
}
