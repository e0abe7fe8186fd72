import { afterEach, describe, expect, it, vi } from "vitest";
import { TextCoalescer } from "./text-coalescer.ts";

describe("TextCoalescer", () => {
  afterEach(() => vi.useRealTimers());

  it("sends the first delta at once and merges the ones inside the window, in order", () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const coalescer = new TextCoalescer((text) => sent.push(text), 2);
    coalescer.push("a");
    expect(sent).toEqual(["a"]);
    coalescer.push("b");
    coalescer.push("c");
    expect(sent).toEqual(["a"]);
    vi.advanceTimersByTime(2);
    expect(sent).toEqual(["a", "bc"]);
    vi.advanceTimersByTime(10);
    coalescer.push("d");
    expect(sent).toEqual(["a", "bc", "d"]);
  });

  it("flush() sends what is pending now and cancels the timer; nothing is lost or duplicated", () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const coalescer = new TextCoalescer((text) => sent.push(text), 2);
    coalescer.push("x");
    coalescer.push("y");
    coalescer.flush();
    coalescer.flush();
    vi.advanceTimersByTime(10);
    expect(sent).toEqual(["x", "y"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("with an infinite window holds everything until flush (stream: false)", () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const coalescer = new TextCoalescer((text) => sent.push(text), Number.POSITIVE_INFINITY);
    for (const text of ["one ", "two ", "three"]) coalescer.push(text);
    vi.advanceTimersByTime(60_000);
    expect(sent).toEqual([]);
    coalescer.flush();
    expect(sent).toEqual(["one two three"]);
  });
});
