/** Characters per chunk and characters repeated between neighbours. */
export interface ChunkingOptions {
  size: number;
  overlap: number;
}

/**
 * Default chunking: ~1,000 characters (a few hundred tokens with a BPE vocabulary, and within the 2,048-token
 * embedding context even for a byte-level one) with 100 characters of overlap, so a sentence cut at a chunk
 * edge is still whole in one of the two.
 */
export const DEFAULT_CHUNKING: ChunkingOptions = { size: 1_000, overlap: 100 };

/**
 * Splits text into chunks of at most `size` characters, cutting at whitespace in the last fifth of a window
 * when there is some (a hard cut otherwise), each chunk starting `overlap` characters before the previous
 * one ended. Blank chunks are dropped; a text that fits is one chunk. Deterministic: the same text and
 * options give the same chunks (chunk ids depend on it).
 *
 * @example
 * ```ts
 * chunkText("a long document ...", { size: 1000, overlap: 100 }); // ["a long document ..."]
 * ```
 */
export function chunkText(text: string, options: ChunkingOptions = DEFAULT_CHUNKING): string[] {
  const { size, overlap } = options;
  if (!(size > 0) || !(overlap >= 0) || overlap >= size) throw new RangeError(`chunking needs 0 <= overlap < size (got size ${size}, overlap ${overlap})`);
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length) {
      const window = text.slice(start, end);
      const cut = Math.max(window.lastIndexOf(" "), window.lastIndexOf("\n"), window.lastIndexOf("\t"));
      if (cut >= Math.floor(size * 0.8)) end = start + cut + 1;
    }
    const chunk = text.slice(start, end).trim();
    if (chunk.length > 0) chunks.push(chunk);
    if (end >= text.length) break;
    // Always move forward, even when the overlap would reach back past this chunk's start.
    start = Math.max(end - overlap, start + 1);
  }
  return chunks;
}
