import { afterEach, describe, expect, it, vi } from "vitest";
import { ProtocolError } from "./errors/runtime-errors.ts";
import { createFrameGuard } from "./frame-guard.ts";

const frame = (body: Buffer) => {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(body.length, 0);
  return Buffer.concat([prefix, body]);
};

describe("createFrameGuard", () => {
  afterEach(() => vi.useRealTimers());

  it("accepts whole frames, frames split anywhere, and several frames in one chunk", () => {
    vi.useFakeTimers();
    const violations: ProtocolError[] = [];
    const guard = createFrameGuard({ onViolation: (error) => violations.push(error), stallTimeoutMs: 100 });
    const stream = Buffer.concat([frame(Buffer.from("hello")), frame(Buffer.alloc(0)), frame(Buffer.alloc(3000, 7))]);
    for (let index = 0; index < stream.length; index += 3) guard.observe(stream.subarray(index, index + 3));
    guard.observe(stream);
    vi.advanceTimersByTime(1_000);
    expect(violations).toEqual([]);
    guard.dispose();
  });

  it("refuses a length prefix over the limit at once", () => {
    const violations: ProtocolError[] = [];
    const guard = createFrameGuard({ onViolation: (error) => violations.push(error), maxFrameBytes: 1024 });
    guard.observe(Buffer.from("not a frame, just text"));
    expect(violations).toHaveLength(1);
    expect(violations[0]).toBeInstanceOf(ProtocolError);
    expect(violations[0]!.reason).toMatch(/claims \d+ bytes/);
    guard.observe(Buffer.from("more"));
    expect(violations).toHaveLength(1);
  });

  it("declares a frame that stops arriving half-way a violation after the stall timeout, and only then", () => {
    vi.useFakeTimers();
    const violations: ProtocolError[] = [];
    const guard = createFrameGuard({ onViolation: (error) => violations.push(error), stallTimeoutMs: 100 });
    const truncated = frame(Buffer.alloc(50)).subarray(0, 30);
    guard.observe(truncated);
    vi.advanceTimersByTime(99);
    guard.observe(Buffer.alloc(5));
    vi.advanceTimersByTime(99);
    expect(violations).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.reason).toMatch(/stalled/);
  });
});
