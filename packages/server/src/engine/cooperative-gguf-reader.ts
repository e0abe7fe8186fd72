import { open } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { importModule } from "../startup/import-module.ts";

/**
 * Every `loadModel` reads the GGUF's metadata and tensor descriptions in JavaScript first (node-llama-cpp's
 * `readGgufFileInfo`), on the worker's event loop. Its file reader (3.22.1's `GgufFsFileReader`) does two things
 * that block that loop, measured in the worker on a 2-core VM:
 *
 * - **It grows its buffer by copying on the main thread.** Each growth reads `needed + 4 MiB` bytes into a new
 *   zero-filled buffer, then allocates another and copies the old buffer and the new bytes into it. Writing
 *   megabytes of fresh memory is page faults: 16-70 ms per load here (~13 µs a page on this VM), 1-3 ms on
 *   bare metal, and the large buffers also bring on extra garbage collections.
 * - **It parses synchronously once the bytes are there.** The parser is written to wait on any read that
 *   returns a promise (its network reader always does), but the file reader answers from its buffer at once,
 *   so a model's whole vocabulary (150k strings for a typical real model) is parsed in one block.
 *
 * {@link makeGgufReaderCooperative} replaces the growth with one read of the needed range straight into the
 * new buffer, on libuv's thread pool (no copy, and the page faults happen there), reads only as far as the
 * parse gets (a test model's metadata is tens of KiB; the original read 4 MiB past it), and makes every
 * `READS_PER_TURN`-th buffered read wait for one turn of the event loop (`setImmediate`), so a cancel or an
 * `inspect()` arriving mid-parse is answered within a few milliseconds. A load whose signal aborts stops at
 * the next turn. The values read are the same bytes at the same offsets: a test parses every test model and a
 * large synthetic file both ways and compares the results.
 */

/**
 * The node-llama-cpp release whose `GgufFsFileReader` this was written against and tested with. Kept apart from
 * `MIRRORED_NODE_LLAMA_CPP` (tested-binary-start.ts) on purpose: a bump of node-llama-cpp re-checks each
 * internal that Rein relies on by itself.
 */
export const COOPERATIVE_GGUF_READER_FOR = "3.22.1";

/** The first growth reads this far past the needed end; later ones double the buffer. */
const FIRST_READ_BYTES = 64 * 1024;

/**
 * Buffered reads between two turns of the event loop. A read and its share of the parse take ~0.7 µs on a
 * 2-core VM (a 40,000-token vocabulary is ~120,000 reads, three a token, and parses in ~80 ms), so a turn comes
 * every ~1.5 ms of parsing; each costs one `setImmediate` (tens of µs).
 */
export const READS_PER_TURN = 2048;

/** The parts of `GgufFsFileReader` this replaces or uses (internals of 3.22.1, not in its typings). */
interface GgufFsFileReaderInstance {
  readonly filePath: string;
  readonly _signal?: AbortSignal;
  _buffer: Buffer;
}

interface GgufFsFileReaderPrototype {
  ensureHasByteRange(this: GgufFsFileReaderInstance, offset: unknown, length: number): Promise<void> | undefined;
  _readToExpandBufferUpToOffset(this: GgufFsFileReaderInstance, endOffset: number): Promise<void>;
}

const cooperative = new WeakSet<object>();
let installedInProcess = false;

/**
 * Makes node-llama-cpp's GGUF file reader (its prototype, so every reader in the process) read off the main
 * thread and yield while it parses. Returns false, changing nothing, when `prototype` does not have the shape
 * of 3.22.1's `GgufFsFileReader`. Idempotent.
 *
 * @example
 * ```ts
 * const { GgufFsFileReader } = await import(readerModuleUrl);
 * makeGgufReaderCooperative(GgufFsFileReader.prototype);
 * ```
 */
export function makeGgufReaderCooperative(prototype: unknown): boolean {
  if (!isReaderPrototype(prototype)) return false;
  if (cooperative.has(prototype)) return true;
  const ensureBuffered = prototype.ensureHasByteRange;
  // One count for all readers (a few loads may parse at once): a field per reader would cost every read more.
  let readsSinceTurn = 0;
  const growths = new WeakMap<GgufFsFileReaderInstance, Promise<void>>();

  prototype.ensureHasByteRange = function (offset, length) {
    const pending = ensureBuffered.call(this, offset, length);
    if (pending !== undefined) return pending;
    readsSinceTurn += 1;
    if (readsSinceTurn < READS_PER_TURN) return undefined;
    readsSinceTurn = 0;
    return nextTurn(this._signal);
  };

  prototype._readToExpandBufferUpToOffset = function (endOffset) {
    // One growth at a time per reader, as node-llama-cpp's own lock does; a later one may find it done.
    // (Its own lock, lifecycle-utils' withLock on [reader, "modifyBuffer"], guarded only this method.)
    const growth = (growths.get(this) ?? Promise.resolve()).then(() => growBuffer(this, endOffset));
    growths.set(
      this,
      growth.catch(() => undefined),
    );
    return growth;
  };

  cooperative.add(prototype);
  installedInProcess = true;
  return true;
}

/** Whether this process reads GGUF files through a cooperative reader (inspect() reports it, see worker-host.ts). */
export function cooperativeGgufReaderInstalled(): boolean {
  return installedInProcess;
}

/** Whether {@link makeGgufReaderCooperative} changed this prototype. */
export function isGgufReaderCooperative(prototype: unknown): boolean {
  return typeof prototype === "object" && prototype !== null && cooperative.has(prototype);
}

/**
 * Finds node-llama-cpp's `GgufFsFileReader` module beside the package's entry and makes it cooperative. Only
 * for {@link COOPERATIVE_GGUF_READER_FOR}: another release may read differently, and keeps its own reader.
 * Resolves to whether the reader was changed; never rejects (a layout it cannot find changes nothing, and so
 * does one where this module's `require.resolve` finds another copy of node-llama-cpp than the worker imports).
 *
 * @example
 * ```ts
 * await installCooperativeGgufReader(engineVersion());
 * ```
 */
export async function installCooperativeGgufReader(version: string): Promise<boolean> {
  if (version !== COOPERATIVE_GGUF_READER_FOR) return false;
  try {
    const entry = createRequire(import.meta.url).resolve("node-llama-cpp");
    const readerModule = pathToFileURL(path.join(path.dirname(entry), "gguf", "fileReaders", "GgufFsFileReader.js")).href;
    const { GgufFsFileReader } = await importModule<{ GgufFsFileReader?: { prototype: unknown } }>(readerModule);
    return makeGgufReaderCooperative(GgufFsFileReader?.prototype);
  } catch {
    return false;
  }
}

async function growBuffer(reader: GgufFsFileReaderInstance, endOffset: number): Promise<void> {
  if (endOffset <= reader._buffer.length) return;
  reader._signal?.throwIfAborted();
  const file = await open(reader.filePath, "r");
  try {
    reader._signal?.throwIfAborted();
    const { size } = await file.stat();
    // Read from the start, doubling: a file's metadata is read in a few growths, and only the metadata (the
    // tensor data after it is never parsed), where node-llama-cpp reads 4 MiB past each end it needs. The
    // buffer still reaches past `endOffset` (the original's own check after a growth), and past the end of the
    // file it holds zeros, as the original's does.
    const wanted = Math.max(endOffset + FIRST_READ_BYTES, 2 * reader._buffer.length);
    const length = Math.max(endOffset + 1, Math.min(wanted, size));
    // Not zero-filled: the kernel writes it on the thread pool, and only what the file lacks is zeroed below.
    const grown = Buffer.allocUnsafeSlow(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await file.read(grown, filled, length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled < length) grown.fill(0, filled);
    reader._buffer = grown;
  } finally {
    await file.close();
  }
}

/** Resolves on the next turn of the event loop (after pending I/O), or rejects with the load's abort reason. */
function nextTurn(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      if (signal?.aborted) reject(signal.reason as Error);
      else resolve();
    });
  });
}

function isReaderPrototype(value: unknown): value is GgufFsFileReaderPrototype {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Record<keyof GgufFsFileReaderPrototype | "readByteRange" | "_readByteRange", unknown>>;
  return (
    typeof candidate.ensureHasByteRange === "function" &&
    typeof candidate._readToExpandBufferUpToOffset === "function" &&
    typeof candidate.readByteRange === "function" &&
    typeof candidate._readByteRange === "function"
  );
}
