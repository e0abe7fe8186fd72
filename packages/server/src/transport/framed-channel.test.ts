import { EventEmitter } from "node:events";
import { Duplex } from "node:stream";
import { createFramedChannel } from "@rein/protocol";
import RPC from "bare-rpc";
import { describe, expect, it } from "vitest";
import { createDuplexPair } from "./duplex-pair.ts";

type RpcStream = ConstructorParameters<typeof RPC>[0];
/** bare-rpc's private tables of stream-opens for unknown ids (the growth reported in issue 18, point 2). */
type PendingTables = { _pendingRequests: Set<number>; _pendingResponses: Set<number> };

const frame = (body: Buffer) => Buffer.concat([Buffer.from([body.length & 0xff, (body.length >> 8) & 0xff, 0, 0]), body]);
/** An event (type 1, id 0, command 100, no stream) with an empty body. */
const tinyEvent = frame(Buffer.from([1, 0, 100, 0, 0]));
/** A stream-open (OPEN | RESPONSE) for request `id`. */
function streamOpen(id: number): Buffer {
  const body = Buffer.from([3, 0xfe, 0, 0, 0, 0, 0xfd, 0x01, 0x02]);
  body.writeUInt32LE(id, 2);
  return frame(body);
}
const burst = (frames: number, make: (index: number) => Buffer) => Buffer.concat(Array.from({ length: frames }, (_, index) => make(index)));

describe("bare-rpc behind a framed channel", () => {
  it("bare-rpc 1.3.8 on its own overflows the stack on 50,000 tiny frames in one read (the upstream defect; drop the workaround when this fails)", () => {
    const stream = Object.assign(new EventEmitter(), { write: () => true, destroy: () => undefined });
    let events = 0;
    new RPC(stream as unknown as RpcStream, () => void (events += 1));
    expect(() => stream.emit("data", burst(50_000, () => tinyEvent))).toThrow(RangeError);
    expect(events).toBeLessThan(50_000);
  });

  it("delivers every one of 50,000 tiny frames from one read, and request/reply still works afterwards", async () => {
    const [clientSide, workerSide] = createDuplexPair();
    let events = 0;
    const violations: unknown[] = [];
    const worker = new RPC(createFramedChannel(workerSide, { onViolation: (error) => violations.push(error) }) as unknown as RpcStream, (incoming) => {
      if ("reply" in incoming) incoming.reply(Buffer.from("pong"));
      else events += 1;
    });
    clientSide.write(burst(50_000, () => tinyEvent));
    const client = new RPC(createFramedChannel(clientSide, { onViolation: (error) => violations.push(error) }) as unknown as RpcStream, () => undefined);
    const request = client.request(4);
    request.send(Buffer.from("ping"));
    expect(String(await request.reply())).toBe("pong");
    expect(events).toBe(50_000);
    expect(violations).toEqual([]);
    expect(worker.idle).toBe(true);
    clientSide.destroy();
  });

  it("stream-opens for unknown ids never reach bare-rpc's pending tables (they grow without bound on a bare socket)", async () => {
    const count = 100_000;
    const bare = Object.assign(new EventEmitter(), { write: () => true, destroy: () => undefined });
    const unguarded = new RPC(bare as unknown as RpcStream, () => undefined) as unknown as PendingTables;
    bare.emit("data", burst(2_000, (index) => streamOpen(index + 1)));
    expect(unguarded._pendingResponses.size).toBe(2_000);

    const [clientSide, workerSide] = createDuplexPair();
    const channel = createFramedChannel(workerSide, { onViolation: () => undefined });
    const guarded = new RPC(channel as unknown as RpcStream, (incoming) => {
      if ("reply" in incoming) incoming.reply(Buffer.from("alive"));
    }) as unknown as PendingTables & RPC;
    for (let sent = 0; sent < count; sent += 10_000) clientSide.write(burst(10_000, (index) => streamOpen(sent + index + 1)));
    const client = new RPC(clientSide as unknown as RpcStream, () => undefined);
    const request = client.request(4);
    request.send(Buffer.from("?"));
    expect(String(await request.reply())).toBe("alive");
    expect(channel.refusedFrames).toBe(count);
    expect(guarded._pendingResponses.size + guarded._pendingRequests.size).toBe(0);
    clientSide.destroy();
  });
});

describe("held writes", () => {
  /** An inner stream that records each write call (a `writev` of several frames is one entry). */
  function recordingInner(): { inner: Duplex; calls: Buffer[][] } {
    const calls: Buffer[][] = [];
    const inner = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        calls.push([chunk]);
        callback();
      },
      writev(chunks: { chunk: Buffer }[], callback) {
        calls.push(chunks.map((entry) => entry.chunk));
        callback();
      },
    });
    return { inner, calls };
  }

  it("frames written while writes are held reach the inner stream in one write call, in order, once released", async () => {
    const { inner, calls } = recordingInner();
    const channel = createFramedChannel(inner, { onViolation: () => undefined });
    const rpc = new RPC(channel as unknown as RpcStream, () => undefined);
    const release = channel.holdWrites();
    for (const text of ["one", "two", "three"]) rpc.event(7).send(Buffer.from(text));
    expect(calls).toEqual([]);
    release();
    release();
    await new Promise((resolve) => process.nextTick(resolve));
    expect(calls).toHaveLength(1);
    expect(Buffer.concat(calls[0]!).toString("latin1")).toMatch(/one.*two.*three/s);
  });

  it("without a hold, the frames of one turn (bare-rpc writes each as header + body) leave in one write on the next tick", async () => {
    const { inner, calls } = recordingInner();
    const channel = createFramedChannel(inner, { onViolation: () => undefined });
    const rpc = new RPC(channel as unknown as RpcStream, () => undefined);
    for (const text of ["one", "two", "three"]) rpc.event(7).send(Buffer.from(text));
    await new Promise((resolve) => process.nextTick(resolve));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(6);
    rpc.event(7).send(Buffer.from("four"));
    await new Promise((resolve) => process.nextTick(resolve));
    expect(calls).toHaveLength(2);
  });

  it("a hold keeps frames of later turns together until it is released", async () => {
    const { inner, calls } = recordingInner();
    const channel = createFramedChannel(inner, { onViolation: () => undefined });
    const rpc = new RPC(channel as unknown as RpcStream, () => undefined);
    const release = channel.holdWrites();
    rpc.event(7).send(Buffer.from("one"));
    await new Promise((resolve) => setImmediate(resolve));
    rpc.event(7).send(Buffer.from("two"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([]);
    release();
    await new Promise((resolve) => process.nextTick(resolve));
    expect(calls).toHaveLength(1);
  });

  it("flushWrites sends this run's frames at once (a goodbye before a synchronous exit), and the next tick adds no write", async () => {
    const { inner, calls } = recordingInner();
    const channel = createFramedChannel(inner, { onViolation: () => undefined });
    const rpc = new RPC(channel as unknown as RpcStream, () => undefined);
    rpc.event(7).send(Buffer.from("goodbye"));
    expect(calls).toEqual([]);
    channel.flushWrites();
    expect(calls).toHaveLength(1);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(calls).toHaveLength(1);
  });

  it("a hold on a destroyed stream is a no-op, and releasing it later throws nothing", () => {
    const { inner } = recordingInner();
    const channel = createFramedChannel(inner, { onViolation: () => undefined });
    const release = channel.holdWrites();
    inner.destroy();
    expect(() => release()).not.toThrow();
    expect(() => channel.holdWrites()()).not.toThrow();
  });
});
