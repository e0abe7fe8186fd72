import { afterEach, describe, expect, it, vi } from "vitest";
import { ProtocolError } from "./errors/runtime-errors.ts";
import { createFrameReader } from "./frame-reader.ts";

const frame = (body: Buffer | number[]) => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(bytes.length, 0);
  return Buffer.concat([prefix, bytes]);
};
/** A bare-rpc event (type 1, id 0, command 100, stream 0) carrying `data`. */
const event = (data: Buffer) => frame(Buffer.concat([Buffer.from([1, 0, 100, 0, data.length]), data]));
/** A bare-rpc response to request `id` with no error. */
const response = (id: number, data: Buffer) => frame(Buffer.concat([Buffer.from([2, id, 0, 0, data.length]), data]));
/** A bare-rpc stream-open message for request `id` (flags OPEN | RESPONSE = 0x201, a 16-bit varint). */
const streamOpen = (id: number) => frame([3, id, 0xfd, 0x01, 0x02]);

function reader(options: { maxFrameBytes?: number; stallTimeoutMs?: number; maxFramesPerDelivery?: number } = {}) {
  const deliveries: Buffer[] = [];
  const violations: ProtocolError[] = [];
  const instance = createFrameReader({ ...options, deliver: (frames) => deliveries.push(Buffer.from(frames)), onViolation: (error) => violations.push(error) });
  return { instance, deliveries, violations, delivered: () => Buffer.concat(deliveries) };
}

describe("createFrameReader", () => {
  afterEach(() => vi.useRealTimers());

  it("passes whole frames on byte for byte, however the stream is cut", () => {
    const stream = Buffer.concat([event(Buffer.from("hello")), response(7, Buffer.alloc(3000, 7)), event(Buffer.alloc(0))]);
    for (const step of [1, 3, 4, 5, 1000, stream.length]) {
      const { instance, violations, delivered } = reader({ stallTimeoutMs: 100 });
      for (let index = 0; index < stream.length; index += step) instance.observe(stream.subarray(index, index + step));
      expect(violations).toEqual([]);
      expect(delivered().equals(stream)).toBe(true);
      instance.dispose();
    }
  });

  it("hands over at most maxFramesPerDelivery frames per call, and only whole frames", () => {
    const { instance, deliveries, delivered } = reader({ maxFramesPerDelivery: 64 });
    const one = event(Buffer.from("x"));
    const burst = Buffer.concat(Array.from({ length: 50_000 }, () => one));
    instance.observe(burst.subarray(0, burst.length - 3));
    instance.observe(burst.subarray(burst.length - 3));
    expect(delivered().equals(burst)).toBe(true);
    for (const delivery of deliveries) {
      expect(delivery.length % one.length).toBe(0);
      expect(delivery.length / one.length).toBeLessThanOrEqual(64);
    }
    instance.dispose();
  });

  it("drops bare-rpc stream messages (Rein opens no streams) and counts them, keeping the frames around them", () => {
    const { instance, violations, delivered } = reader();
    const before = event(Buffer.from("a"));
    const after = response(3, Buffer.from("b"));
    instance.observe(Buffer.concat([before, ...Array.from({ length: 1000 }, (_, index) => streamOpen(1 + (index % 200))), after]));
    expect(violations).toEqual([]);
    expect(instance.refusedFrames).toBe(1000);
    expect(delivered().equals(Buffer.concat([before, after]))).toBe(true);
  });

  const violationsByName: Record<string, [Buffer, RegExp]> = {
    "a length prefix of 0": [frame([]), /length prefix of 0/],
    "an unknown message type": [frame([9, 1]), /unknown message type 9/],
    "a request cut off before its command": [frame([1, 5]), /malformed message/],
    "a request whose data runs past its frame": [frame([1, 5, 2, 0, 50, 1, 2]), /malformed message/],
    "a stream message with a varint past its frame": [frame([3, 5, 0xff, 0xff, 0x03]), /malformed message/],
    "a response error whose message runs past its frame": [frame([2, 5, 1, 0, 40]), /malformed message/],
  };
  for (const [name, [bytes, reason]] of Object.entries(violationsByName)) {
    it(`refuses ${name} with a ProtocolError naming it, after passing on the frames before it`, () => {
      const { instance, violations, delivered } = reader();
      const good = event(Buffer.from("ok"));
      instance.observe(Buffer.concat([good, bytes, good]));
      expect(violations).toHaveLength(1);
      expect(violations[0]).toBeInstanceOf(ProtocolError);
      expect(violations[0]!.reason).toMatch(reason);
      expect(delivered().equals(good)).toBe(true);
      instance.observe(good);
      expect(delivered().equals(good)).toBe(true);
    });
  }

  it("refuses a length prefix over the limit at once, even split across chunks", () => {
    const { instance, violations } = reader({ maxFrameBytes: 1024 });
    instance.observe(Buffer.from("no"));
    expect(violations).toEqual([]);
    instance.observe(Buffer.from("t a frame, just text"));
    expect(violations).toHaveLength(1);
    expect(violations[0]!.reason).toMatch(/claims \d+ bytes/);
  });

  it("declares a frame that stops arriving half-way a violation after the stall timeout, and only then", () => {
    vi.useFakeTimers();
    const { instance, violations } = reader({ stallTimeoutMs: 100 });
    const truncated = event(Buffer.alloc(50)).subarray(0, 30);
    instance.observe(truncated);
    vi.advanceTimersByTime(99);
    instance.observe(Buffer.alloc(5));
    vi.advanceTimersByTime(99);
    expect(violations).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.reason).toMatch(/stalled/);
  });
});
