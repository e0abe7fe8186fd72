/**
 * Transport fault injection below bare-rpc: raw bytes written onto the
 * worker's pipe. A length-prefixed stream cannot resynchronise after a bad
 * frame, so the contract here is: no hang. Either the worker answers, or it
 * says why in a goodbye message and on stderr, closes the channel and exits
 * with WorkerExitCode.protocolViolation (the SDK then starts a fresh worker).
 */
import { randomUUID } from "node:crypto";
import { WorkerExitCode } from "@rein/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { rawFrame, startRawWorker, type RawWorker } from "../helpers/reliability-raw-worker.ts";
import { settleWithin } from "../helpers/reliability-support.ts";

// Longer than the stalled-partial-frame watchdog the worker needs (5 s proposed): only a hang fails.
const BOUND_MS = 10_000;
/** A legal frame length (under MAX_PAYLOAD_BYTES) that the bytes after it never fill: a truncated frame. */
const TRUNCATED_CLAIM = 1 << 20;

/** The transport outcome of the request sent after the fault, and what became of the worker. */
async function afterFault(worker: RawWorker) {
  const inspect = await settleWithin(worker.inspect(), BOUND_MS, "inspect after the fault");
  const exit = inspect.status === "rejected" ? await settleWithin(worker.exited, BOUND_MS, "worker exit after the fault") : undefined;
  return { inspect, exit };
}

describe("raw frame faults on the worker's pipe", () => {
  let worker: RawWorker | undefined;

  afterEach(async () => {
    if (worker?.alive) worker.child.kill("SIGKILL");
    await worker?.exited;
    worker = undefined;
  });

  const corruptFrames: Record<string, [Buffer, RegExp]> = {
    "an unknown message type": [rawFrame([9, 1]), /unknown message type 9/],
    "an empty frame (a length prefix of 0)": [rawFrame([]), /length prefix of 0/],
    "a request cut off before its command": [rawFrame([1, 5]), /malformed message/],
    "a request whose data length runs past the frame": [rawFrame([1, 5, 2, 0, 50, 1, 2]), /malformed message/],
    "a stream message with garbage flags": [rawFrame([3, 5, 0xff, 0xff, 0x03]), /malformed message/],
  };

  for (const [name, [bytes, reason]] of Object.entries(corruptFrames)) {
    it(`${name}: the worker says why, closes the channel and exits with the protocol-violation code`, async () => {
      worker = await startRawWorker({ captureStderr: true });
      await worker.handshake({ defaultThreads: 1 });
      worker.writeRaw(bytes);
      const { inspect, exit } = await afterFault(worker);
      expect(inspect.status).toBe("rejected");
      expect(exit).toEqual({ status: "fulfilled", value: { exitCode: WorkerExitCode.protocolViolation, signal: null } });
      expect(worker.goodbyes).toHaveLength(1);
      expect(worker.goodbyes[0]).toMatchObject({ fatal: false });
      expect(worker.goodbyes[0]!.reason).toMatch(reason);
      expect(worker.stderr()).toMatch(reason);
    });
  }

  it("a well-formed frame nobody asked for (a response to an unknown id) is ignored and the worker keeps serving", async () => {
    worker = await startRawWorker();
    await worker.handshake({ defaultThreads: 1 });
    worker.writeRaw(rawFrame([2, 77, 0, 0, 0]));
    const { inspect } = await afterFault(worker);
    expect(inspect.status).toBe("fulfilled");
    expect(await worker.call("completion", { modelId: "m", history: [] }).catch((error: unknown) => (error as { code?: number }).code)).toBe(50001);
  });

  it("bytes that are no frame at all (an absurd length prefix) end the channel instead of buffering forever", async () => {
    worker = await startRawWorker();
    await worker.handshake({ defaultThreads: 1 });
    // "hell" read as a uint32 length is ~1.8 GB: far over MAX_PAYLOAD_BYTES, so it can only be garbage.
    worker.writeRaw(Buffer.from("hello world, this is not a frame at all!", "utf8"));
    const { inspect, exit } = await afterFault(worker);
    expect(inspect.status).toBe("rejected");
    expect(exit).toEqual({ status: "fulfilled", value: { exitCode: WorkerExitCode.protocolViolation, signal: null } });
    expect(worker.goodbyes[0]?.reason).toMatch(/claims \d+ bytes/);
  });

  it("a truncated frame followed by more traffic does not leave the next request hanging", async () => {
    worker = await startRawWorker();
    await worker.handshake({ defaultThreads: 1 });
    // Claims 1 MiB, carries 5: every later byte is swallowed into it.
    worker.writeRaw(rawFrame([1, 9, 4, 0, 2], TRUNCATED_CLAIM));
    const { inspect } = await afterFault(worker);
    // Either answered (the worker resynchronised) or the channel closed (the worker gave up on it): never pending.
    expect(["fulfilled", "rejected"]).toContain(inspect.status);
  });

  it("a truncated frame followed by the pipe closing: the worker exits cleanly (no orphan process)", async () => {
    worker = await startRawWorker();
    await worker.handshake({ defaultThreads: 1 });
    const running = worker.call("reliability.missing", {}, { requestId: randomUUID() }).catch(() => undefined);
    worker.writeRaw(rawFrame([1, 9, 4, 0, 2], TRUNCATED_CLAIM));
    worker.pipe.end();
    const exit = await settleWithin(worker.exited, BOUND_MS, "worker exit");
    expect(exit).toEqual({ status: "fulfilled", value: { exitCode: 0, signal: null } });
    await running;
  });
});
