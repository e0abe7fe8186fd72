import { createReadStream } from "node:fs";
import type { Hash } from "node:crypto";

/** Feeds the first `length` bytes of `path` (all of it when omitted) into `hash`; stops with `signal.reason` on abort. */
export async function hashFileInto(hash: Hash, path: string, signal?: AbortSignal, length?: number): Promise<number> {
  signal?.throwIfAborted();
  if (length === 0) return 0;
  const stream = createReadStream(path, length === undefined ? {} : { start: 0, end: length - 1 });
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      hash.update(chunk);
      bytes += chunk.length;
    }
  } finally {
    stream.destroy();
  }
  return bytes;
}
