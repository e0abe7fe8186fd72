/** Looks up a finished download in the cache, hashing it once per (size, mtime). */
import { stat } from "node:fs/promises";
import { onDisk } from "./download-errors.ts";
import { hashFileInto } from "./hash-file.ts";
import { sha256 as newSha256 } from "../startup/lazy-crypto.ts";

export type FileHashMemo = Map<string, { size: number; mtimeMs: number; sha256: string }>;

export interface CachedFile {
  bytes: number;
  sha256: string;
}

/**
 * The complete file at `path` when it exists and (if `expected` is given) has
 * that sha256; null otherwise (a download should then replace it).
 */
export async function findCachedFile(
  path: string,
  url: string,
  expected: string | undefined,
  signal: AbortSignal,
  memo: FileHashMemo,
  log: (message: string) => void,
): Promise<CachedFile | null> {
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) return null;
  const known = memo.get(path);
  let sha256 = known !== undefined && known.size === info.size && known.mtimeMs === info.mtimeMs ? known.sha256 : undefined;
  if (sha256 === undefined) {
    const hash = newSha256();
    await onDisk(url, () => hashFileInto(hash, path, signal), signal);
    sha256 = hash.digest("hex");
    memo.set(path, { size: info.size, mtimeMs: info.mtimeMs, sha256 });
  }
  if (expected !== undefined && expected !== sha256) {
    log(`download ${url}: cached file ${path} has sha256 ${sha256}, expected ${expected}; downloading again`);
    return null;
  }
  return { bytes: info.size, sha256 };
}
