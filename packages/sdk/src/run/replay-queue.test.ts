import { describe, expect, it } from "vitest";
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
