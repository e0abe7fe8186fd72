/**
 * Protocol robustness at the worker's own door: a raw bare-rpc client sends
 * what the SDK never would. Every request must get a typed answer and the
 * worker must keep serving afterwards.
 */
import { Command, ErrorCode, InvalidInputError, MAX_PAYLOAD_BYTES, ProtocolError, UnknownOperationError } from "@rein/protocol";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRawWorker, type RawReply, type RawWorker } from "../helpers/reliability-raw-worker.ts";
import { settleWithin } from "../helpers/reliability-support.ts";

const BOUND_MS = 10_000;

function errorOf(reply: RawReply) {
  if (reply.ok) throw new Error(`expected an error reply, got ${JSON.stringify(reply.value)}`);
  return reply.error;
}

/** The proof that a fault did not take the worker down: it still answers inspect and a handshake. */
async function expectStillServing(worker: RawWorker): Promise<void> {
  const snapshot = await worker.inspect();
  expect(snapshot.pid).toBe(worker.pid);
  expect(snapshot.requests).toEqual([]);
  expect(worker.alive).toBe(true);
}

describe("worker protocol robustness (raw bare-rpc client)", () => {
  let worker: RawWorker;

  beforeAll(async () => {
    worker = await startRawWorker();
    await worker.handshake({ forwardLogs: true, defaultThreads: 1 });
  });

  afterAll(async () => {
    await worker.stop();
  });

  it("answers an unknown command id with a ProtocolError (50203) and keeps serving", async () => {
    for (const command of [0, 6, 99, 100, 101, 123_456]) {
      const outcome = await settleWithin(worker.request(command, {}), BOUND_MS, `command ${command}`);
      expect(outcome.status).toBe("fulfilled");
      const error = errorOf((outcome as { value: RawReply }).value);
      expect(ProtocolError.isInstance(error), `command ${command}: ${String(error)}`).toBe(true);
      expect(error.code).toBe(ErrorCode.Protocol);
      expect((error as ProtocolError).reason).toContain(String(command));
    }
    await expectStillServing(worker);
  });

  it("answers a payload that is not JSON with a ProtocolError, for every command", async () => {
    for (const command of [Command.handshake, Command.call, Command.cancel, Command.inspect]) {
      const reply = await worker.request(command, Buffer.from("{not json", "utf8"));
      const error = errorOf(reply);
      expect(ProtocolError.isInstance(error), `command ${command}`).toBe(true);
      expect((error as ProtocolError).reason).toMatch(/JSON/);
    }
    // Bytes that are not even UTF-8.
    const binary = errorOf(await worker.request(Command.call, Buffer.from([0xff, 0xfe, 0x00, 0x80])));
    expect(ProtocolError.isInstance(binary)).toBe(true);
    await expectStillServing(worker);
  });

  it("answers a call payload that is not an object with InvalidInputError naming the field", async () => {
    for (const payload of [42, "call", null, [], true]) {
      const error = errorOf(await worker.request(Command.call, payload));
      expect(InvalidInputError.isInstance(error), JSON.stringify(payload)).toBe(true);
      expect(error.code).toBe(ErrorCode.InvalidInput);
    }
    const missingOp = errorOf(await worker.request(Command.call, { requestId: randomUUID(), input: {} }));
    expect((missingOp as InvalidInputError).field).toBe("op");
    const badId = errorOf(await worker.request(Command.call, { op: "completion", requestId: "42", input: {} }));
    expect((badId as InvalidInputError).field).toBe("requestId");
    const extraKey = errorOf(await worker.request(Command.call, { op: "completion", requestId: randomUUID(), input: {}, sneaky: 1 }));
    expect(InvalidInputError.isInstance(extraKey)).toBe(true);
    await expectStillServing(worker);
  });

  it("answers an unknown op with UnknownOperationError (52423) and leaves no registry entry", async () => {
    const error = errorOf(await worker.request(Command.call, { op: "noSuchOp", requestId: randomUUID(), input: {} }));
    expect(UnknownOperationError.isInstance(error)).toBe(true);
    expect(error.code).toBe(ErrorCode.UnknownOperation);
    expect((error as UnknownOperationError).operation).toBe("noSuchOp");
    await expectStillServing(worker);
  });

  it("answers a malformed cancel with InvalidInputError, and a second handshake on a configured connection with ProtocolError", async () => {
    const cancel = errorOf(await worker.request(Command.cancel, { target: { operation: "request", requestId: "nope" } }));
    expect(InvalidInputError.isInstance(cancel)).toBe(true);
    // Malformed handshakes on a fresh connection: test/reliability/handshake-config.test.ts.
    for (const payload of [{ protocolVersion: "one" }, { protocolVersion: 999 }, { protocolVersion: 1, config: { opModules: ["/tmp/x.js"] } }]) {
      const again = errorOf(await worker.request(Command.handshake, payload));
      expect(ProtocolError.isInstance(again)).toBe(true);
      expect((again as ProtocolError).reason).toMatch(/already sent its handshake/);
    }
    await expectStillServing(worker);
  });

  it("answers a payload over MAX_PAYLOAD_BYTES with a ProtocolError and keeps serving", async () => {
    const oversized = Buffer.alloc(MAX_PAYLOAD_BYTES + 1024, 0x20);
    oversized.write('{"op":"completion"', 0, "utf8");
    const outcome = await settleWithin(worker.request(Command.call, oversized), 30_000, "oversized call");
    expect(outcome.status).toBe("fulfilled");
    const error = errorOf((outcome as { value: RawReply }).value);
    expect(ProtocolError.isInstance(error)).toBe(true);
    expect((error as ProtocolError).reason).toMatch(/exceeds/);
    await expectStillServing(worker);
  });

  it("counts every malformed call it received and began none of them", async () => {
    const snapshot = await worker.inspect();
    expect(snapshot.counters.begun).toBe(0);
    expect(snapshot.counters.ended).toBe(0);
    expect(snapshot.rememberedCancels).toBe(0);
  });
});
