import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ReplayQueue } from "./replay-queue.ts";

async function drain<T>(iterator: AsyncIterator<T>): Promise<T[]> {
  const seen: T[] = [];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) seen.push(next.value);
  return seen;
}

describe("ReplayQueue", () => {
  it("gives every reader every item from the first, including items pushed while it waits", async () => {
    const queue = new ReplayQueue<number>();
    queue.push(1);
    const early = drain(queue.iterate(() => undefined));
    queue.push(2);
    queue.push(3);
    queue.end();
    expect(await early).toEqual([1, 2, 3]);
    expect(await drain(queue.iterate(() => undefined))).toEqual([1, 2, 3]);
  });

  it("ignores pushes after the end", async () => {
    const queue = new ReplayQueue<string>();
    queue.push("a");
    queue.end();
    queue.push("late");
    expect(await drain(queue.iterate(() => undefined))).toEqual(["a"]);
  });

  it("throws the error after the items, once per reader, then reports done", async () => {
    const queue = new ReplayQueue<string>();
    queue.push("last words");
    queue.end(new Error("worker crashed"));
    for (const reader of [queue.iterate(() => undefined), queue.iterate(() => undefined)]) {
      expect(await reader.next()).toEqual({ value: "last words", done: false });
      await expect(reader.next()).rejects.toThrow("worker crashed");
      expect(await reader.next()).toEqual({ value: undefined, done: true });
    }
  });

  it("calls onEarlyExit when a reader leaves before the end, and not after the end", async () => {
    const queue = new ReplayQueue<number>();
    let exits = 0;
    queue.push(1);
    for await (const _ of { [Symbol.asyncIterator]: () => queue.iterate(() => (exits += 1)) }) break;
    expect(exits).toBe(1);
    queue.end();
    for await (const _ of { [Symbol.asyncIterator]: () => queue.iterate(() => (exits += 1)) }) break;
    expect(exits).toBe(1);
  });
});

type Piece = { kind: "text"; text: string } | { kind: "mark"; name: string };
const joinText = (earlier: Piece, later: Piece): Piece | undefined =>
  earlier.kind === "text" && later.kind === "text" ? { kind: "text", text: earlier.text + later.text } : undefined;
/** What a reader saw, with adjacent text pieces joined: the content, independent of how it was split. */
const content = (pieces: Piece[]) => pieces.map((piece) => (piece.kind === "text" ? piece.text : `[${piece.name}]`)).join("");

describe("ReplayQueue bound (merge)", () => {
  it("keeps at most compactAbove items over 100,000 pushes, and a late reader still gets all of the text", async () => {
    const queue = new ReplayQueue<Piece>({ merge: joinText, compactAbove: 256 });
    let largest = 0;
    let expected = "";
    for (let index = 0; index < 100_000; index += 1) {
      const text = String.fromCharCode(97 + (index % 26));
      expected += text;
      queue.push({ kind: "text", text });
      largest = Math.max(largest, queue.size);
    }
    expect(largest).toBeLessThanOrEqual(257);
    queue.end();
    const seen = await drain(queue.iterate(() => undefined));
    expect(content(seen)).toBe(expected);
    expect(seen.length).toBeLessThanOrEqual(257);
  });

  it("a reader that keeps up reads every push as its own item (nothing is joined under its feet)", async () => {
    const queue = new ReplayQueue<Piece>({ merge: joinText, compactAbove: 4 });
    const reader = queue.iterate(() => undefined);
    const seen: Piece[] = [];
    for (let index = 0; index < 50; index += 1) {
      queue.push({ kind: "text", text: `${index},` });
      const next = await reader.next();
      if (!next.done) seen.push(next.value);
    }
    expect(seen).toHaveLength(50);
    expect(queue.size).toBeLessThanOrEqual(8);
  });

  it("never loses, repeats or reorders content for any interleaving of pushes, marks and reads (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant("text" as const), fc.constant("mark" as const), fc.integer({ min: 0, max: 2 })), { maxLength: 300 }),
        fc.integer({ min: 2, max: 12 }),
        async (steps, compactAbove) => {
          const queue = new ReplayQueue<Piece>({ merge: joinText, compactAbove });
          const readers = [0, 1, 2].map(() => ({ iterator: queue.iterate(() => undefined), seen: [] as Piece[] }));
          let expected = "";
          let pushed = 0;
          for (const step of steps) {
            if (step === "text" || step === "mark") {
              const piece: Piece = step === "text" ? { kind: "text", text: `t${pushed}` } : { kind: "mark", name: `m${pushed}` };
              pushed += 1;
              expected += content([piece]);
              queue.push(piece);
            } else {
              // Read at most what is buffered, so the read never waits.
              const reader = readers[step]!;
              const readSoFar = content(reader.seen).length;
              if (readSoFar < expected.length) {
                const next = await reader.iterator.next();
                if (!next.done) reader.seen.push(next.value);
              }
            }
          }
          queue.end();
          for (const reader of readers) {
            reader.seen.push(...(await drain(reader.iterator)));
            expect(content(reader.seen)).toBe(expected);
          }
          expect(content(await drain(queue.iterate(() => undefined)))).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
