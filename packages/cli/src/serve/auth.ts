/**
 * API keys of `rein serve`. Keys are never compared as strings: both sides are
 * hashed (sha256, so the lengths match) and compared with timingSafeEqual, and
 * every configured key is compared, so the time taken says nothing about which
 * key or how much of it matched.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Caller } from "./serve-backend.ts";

export interface ServeKeys {
  /** Keys of ordinary callers; each sees and cancels only its own requests. */
  apiKeys: readonly string[];
  /** A key that sees and cancels every request. */
  adminKey?: string;
}

export interface Authenticator {
  /** True when any key is configured: every /v1 route then needs `Authorization: Bearer <key>`. */
  readonly required: boolean;
  /** The caller an Authorization header stands for, or null (missing, malformed or wrong key). */
  authenticate(authorization: string | undefined): Caller | null;
}

/** The caller when no key is configured: one identity for everything, so it sees everything. */
export const ANONYMOUS_CALLER: Caller = Object.freeze({ keyId: "anonymous", admin: true });

/**
 * Builds the authenticator. Ordinary keys get ids `key-1`, `key-2`, ... in
 * the order given; the admin key is `admin`.
 *
 * @example
 * ```ts
 * const auth = createAuthenticator({ apiKeys: ["s3cret"] });
 * auth.authenticate("Bearer s3cret"); // { keyId: "key-1", admin: false }
 * auth.authenticate("Bearer nope");   // null
 * ```
 */
export function createAuthenticator(keys: ServeKeys): Authenticator {
  const entries: { hash: Buffer; caller: Caller }[] = keys.apiKeys.map((key, index) => ({ hash: digest(key), caller: Object.freeze({ keyId: `key-${index + 1}`, admin: false }) }));
  if (keys.adminKey !== undefined) entries.push({ hash: digest(keys.adminKey), caller: Object.freeze({ keyId: "admin", admin: true }) });
  const required = entries.length > 0;
  return {
    required,
    authenticate(authorization) {
      if (!required) return ANONYMOUS_CALLER;
      const match = /^Bearer +(\S+)\s*$/i.exec(authorization ?? "");
      if (!match) return null;
      const presented = digest(match[1]!);
      let found: Caller | null = null;
      for (const entry of entries) if (timingSafeEqual(entry.hash, presented) && found === null) found = entry.caller;
      return found;
    },
  };
}

function digest(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

/** 127.0.0.0/8, ::1 and localhost: the addresses nobody else can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || bare === "::ffff:127.0.0.1";
}
