import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { chunkText } from "./chunk-text.ts";

describe("chunkText", () => {
  it("keeps a text that fits as one chunk and drops blank ones", () => {
    expect(chunkText("  short text  ", { size: 100, overlap: 10 })).toEqual(["short text"]);
    expect(chunkText("      ", { size: 4, overlap: 0 })).toEqual([]);
  });

  it("cuts at whitespace near the end of the window, and repeats the overlap", () => {
    const text = "alpha beta gamma delta epsilon zeta eta theta";
    const chunks = chunkText(text, { size: 20, overlap: 6 });
    expect(chunks[0]).toBe("alpha beta gamma");
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(20);
    expect(chunks.at(-1)!.endsWith("theta")).toBe(true);
    // The overlap: each chunk after the first starts with text the previous one ended with.
    expect(chunks[1]!.startsWith("gamma")).toBe(true);
  });

  it("refuses an overlap that is not smaller than the size", () => {
    expect(() => chunkText("abc", { size: 10, overlap: 10 })).toThrow(RangeError);
  });

  it("covers every non-blank character, bounds every chunk, and is deterministic", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 1, max: 60 }), fc.nat(59), (text, size, overlapSeed) => {
        const overlap = overlapSeed % size;
        const chunks = chunkText(text, { size, overlap });
        expect(chunkText(text, { size, overlap })).toEqual(chunks);
        for (const chunk of chunks) {
          expect(chunk.length).toBeLessThanOrEqual(size);
          expect(chunk.trim()).toBe(chunk);
          expect(chunk.length).toBeGreaterThan(0);
        }
        const joined = chunks.join("");
        for (const character of text) if (character.trim() !== "") expect(joined.includes(character)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
