import type { Hash } from "node:crypto";

// node:crypto is loaded on first use, not at worker start: a `require("node:crypto")` at the top of the bundled
// worker pulls in its cipher and stream layers before the handshake, ~18-25 ms of every start on a 2-core machine
// (cold-start bench, CPU profile of the worker). The worker needs it only for a download's checksum, a model id, a
// cache file name or a generated id, all of which come after the handshake.

/**
 * A new SHA-256 hash.
 *
 * @example
 * ```ts
 * const digest = sha256().update("text").digest("hex");
 * ```
 */
export function sha256(): Hash {
  return process.getBuiltinModule("node:crypto").createHash("sha256");
}

/**
 * A random UUIDv4.
 *
 * @example
 * ```ts
 * const id = randomUuid(); // "0b3c…"
 * ```
 */
export function randomUuid(): string {
  return process.getBuiltinModule("node:crypto").randomUUID();
}
