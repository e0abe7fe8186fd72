/**
 * One HTTP transfer into a `.partial` file, resuming from the bytes already
 * there (`Range: bytes=<size>-`) and hashing the whole file as it goes. It does
 * not verify checksums or rename: the download manager does that.
 */
import { mkdir, open, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { IncomingMessage } from "node:http";
import { DownloadFailedError } from "@rein/protocol";
import { diskError, httpError, networkError, onDisk } from "./download-errors.ts";
import { hashFileInto } from "./hash-file.ts";
import { httpGet } from "./http-get.ts";
import { sha256 } from "../startup/lazy-crypto.ts";

export interface TransferOptions {
  url: string;
  partialPath: string;
  /** Aborting it closes the socket; the transfer then rejects with `signal.reason` and keeps the partial file. */
  signal: AbortSignal;
  idleTimeoutMs: number;
  /** Called as bytes land in the partial file (`loaded` counts resumed bytes too). */
  onBytes: (loaded: number, total: number | null) => void;
  logger?: (message: string) => void;
}

export interface TransferResult {
  bytes: number;
  /** Lower-case hex sha256 of the whole partial file. */
  sha256: string;
}

interface ContentRange {
  start: number;
  total: number | null;
}

function parseContentRange(header: string | undefined): ContentRange | null {
  const match = header === undefined ? null : /^bytes\s+(\d+)-\d+\/(\d+|\*)$/i.exec(header.trim());
  if (!match) return null;
  return { start: Number(match[1]), total: match[2] === "*" ? null : Number(match[2]) };
}

function unsatisfiedRangeTotal(header: string | undefined): number | null {
  const match = header === undefined ? null : /^bytes\s+\*\/(\d+)$/i.exec(header.trim());
  return match ? Number(match[1]) : null;
}

function contentLength(response: IncomingMessage): number | null {
  const value = Number(response.headers["content-length"]);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

async function partialSize(url: string, path: string): Promise<number> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw diskError(url, error);
  }
}

/** Downloads `url` into `partialPath`, resuming when possible. */
export async function runTransfer(options: TransferOptions): Promise<TransferResult> {
  const { url, partialPath, signal } = options;
  const log = options.logger ?? (() => {});
  await onDisk(url, () => mkdir(dirname(partialPath), { recursive: true }));
  // Two attempts: the second starts from zero when the server's answer to a Range request does not fit the partial.
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    const offset = await partialSize(url, partialPath);
    let hash = sha256();
    if (offset > 0) await onDisk(url, () => hashFileInto(hash, partialPath, signal, offset), signal);
    const response = await httpGet(url, {
      signal,
      idleTimeoutMs: options.idleTimeoutMs,
      keptBytes: offset,
      ...(offset > 0 ? { headers: { Range: `bytes=${offset}-` } } : {}),
    });
    try {
      const status = response.statusCode ?? 0;
      let append = false;
      let total = contentLength(response);
      if (status === 416 && offset > 0) {
        if (unsatisfiedRangeTotal(response.headers["content-range"]) === offset) {
          log(`download ${url}: partial file is already complete (${offset} bytes)`);
          return { bytes: offset, sha256: hash.digest("hex") };
        }
        if (attempt > 0) throw httpError(url, status);
        log(`download ${url}: server refused the range from ${offset}; starting over`);
        await onDisk(url, () => rm(partialPath, { force: true }));
        continue;
      }
      if (status >= 400 || (status !== 200 && status !== 206)) throw httpError(url, status);
      if (status === 206) {
        const range = parseContentRange(response.headers["content-range"]);
        if (range === null || range.start !== offset) {
          if (attempt > 0) throw networkError(url, new Error(`unexpected Content-Range ${response.headers["content-range"] ?? "(none)"}`), offset);
          log(`download ${url}: Content-Range does not continue the partial file; starting over`);
          await onDisk(url, () => rm(partialPath, { force: true }));
          continue;
        }
        append = offset > 0;
        total = range.total ?? (total === null ? null : offset + total);
        if (append) log(`download ${url}: resuming at byte ${offset}`);
      } else if (offset > 0) {
        log(`download ${url}: server ignored the range request; starting over`);
        hash = sha256();
      }
      return await receiveBody(options, response, { append, offset: append ? offset : 0, total, hash });
    } finally {
      response.destroy();
    }
  }
}

async function receiveBody(
  options: TransferOptions,
  response: IncomingMessage,
  state: { append: boolean; offset: number; total: number | null; hash: ReturnType<typeof sha256> },
): Promise<TransferResult> {
  const { url, partialPath, signal } = options;
  const file = await onDisk(url, () => open(partialPath, state.append ? "a" : "w"));
  let loaded = state.offset;
  try {
    options.onBytes(loaded, state.total);
    for await (const chunk of response as AsyncIterable<Buffer>) {
      state.hash.update(chunk);
      await onDisk(url, () => file.write(chunk));
      loaded += chunk.length;
      options.onBytes(loaded, state.total);
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof DownloadFailedError) throw error;
    throw networkError(url, error, loaded);
  } finally {
    await file.close().catch(() => {});
  }
  signal.throwIfAborted();
  if (state.total !== null && loaded < state.total) {
    throw networkError(url, new Error(`connection closed after ${loaded} of ${state.total} bytes`), loaded);
  }
  return { bytes: loaded, sha256: state.hash.digest("hex") };
}
