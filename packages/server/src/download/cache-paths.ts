/**
 * Where a download lives in the cache directory. Every path this module returns
 * is a direct child of the cache directory: names with separators, `..` or NUL
 * are refused, and the resolved path is checked once more.
 */
import { basename, dirname, resolve } from "node:path";
import { InvalidInputError } from "@rein/protocol";
import { sha256 } from "../startup/lazy-crypto.ts";

/** Suffix of the file that holds the bytes of an unfinished download. */
export const PARTIAL_SUFFIX = ".partial";

const MAX_FILE_NAME = 200;
const MAX_DERIVED_BASENAME = 100;

function refuse(field: string, reason: string): never {
  throw new InvalidInputError({ field, reason, operation: "downloadAsset" });
}

/** Throws `InvalidInputError` unless `fileName` is a plain name that stays inside a directory. */
export function assertPlainFileName(fileName: string): void {
  if (fileName.length === 0) refuse("fileName", "must not be empty");
  if (fileName.length > MAX_FILE_NAME) refuse("fileName", `is longer than ${MAX_FILE_NAME} characters`);
  if (/[\\/\0]/.test(fileName)) refuse("fileName", "must be a plain file name without path separators or NUL");
  if (fileName === "." || fileName === "..") refuse("fileName", "must not be '.' or '..'");
  if (fileName.endsWith(PARTIAL_SUFFIX)) refuse("fileName", `must not end with "${PARTIAL_SUFFIX}" (reserved for unfinished downloads)`);
}

/** A file name for `url`: 16 hex digits of the URL's sha256, then its sanitized last path segment. */
export function fileNameForUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    refuse("url", "is not a valid URL");
  }
  const digest = sha256().update(parsed.href).digest("hex").slice(0, 16);
  let last = parsed.pathname.split("/").filter(Boolean).pop() ?? "";
  try {
    last = decodeURIComponent(last);
  } catch {
    // keep the encoded form
  }
  const safe = last
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/^[.]+/, "")
    .slice(-MAX_DERIVED_BASENAME);
  return safe.length > 0 && !safe.endsWith(PARTIAL_SUFFIX) ? `${digest}-${safe}` : `${digest}-asset`;
}

/** The final path of a download in `cacheDir`; throws `InvalidInputError` for a `fileName` that would leave it. */
export function cachePathFor(cacheDir: string, url: string, fileName?: string): string {
  if (fileName !== undefined) assertPlainFileName(fileName);
  const name = fileName ?? fileNameForUrl(url);
  const root = resolve(cacheDir);
  const path = resolve(root, name);
  if (dirname(path) !== root || basename(path) !== name) refuse("fileName", "resolves outside the cache directory");
  return path;
}

export function partialPathFor(path: string): string {
  return `${path}${PARTIAL_SUFFIX}`;
}
