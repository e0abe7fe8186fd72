/**
 * Transport faults as the SDK sees them: the worker writes bytes that are not
 * a valid frame onto the RPC pipe (a custom op writes to fd 3 directly). The
 * SDK-level guarantee: no hang, a typed error, and the next call works.
 */
import { ErrorCode, ProtocolError, WorkerCrashedError, type ReinClient } from "@rein/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startAssetServer } from "../helpers/asset-server.ts";
import { rawFrame } from "../helpers/reliability-raw-worker.ts";
import { createTestClient } from "../helpers/rein-test-client.ts";
import { liveChildPids, reasonOf, RELIABILITY_OPS_MODULE, settleWithin } from "../helpers/reliability-support.ts";

// Longer than the stalled-partial-frame watchdog the client needs (5 s proposed): only a hang fails.
const BOUND_MS = 10_000;
/** A legal frame length (under MAX_PAYLOAD_BYTES) that the bytes after it never fill: a truncated frame. */
const TRUNCATED_CLAIM = 1 << 20;

function expectTransportFailure(error: unknown): void {
  const typed = WorkerCrashedError.isInstance(error) || ProtocolError.isInstance(error);
  expect(typed, `expected WorkerCrashedError or ProtocolError, got ${String(error)}`).toBe(true);
  expect([ErrorCode.WorkerCrashed, ErrorCode.Protocol]).toContain((error as { code: number }).code);
}

describe("corrupt and truncated frames arriving at the client", () => {
  let client: ReinClient;

  // One client per test: a stuck channel in one test must not spill into the next.
  beforeEach(async () => {
    client = createTestClient({ opModules: [RELIABILITY_OPS_MODULE] });
    await client.ready();
  });

  afterEach(async () => {
    const closed = await settleWithin(client.close(), BOUND_MS, "close()");
    // A close() that hangs is reported by its own test below; here only keep the suite from hanging on it.
    if (closed.status === "rejected") for (const pid of await liveChildPids()) process.kill(pid, "SIGKILL");
  });

  async function expectRecovered(oldPid: number): Promise<void> {
    const next = await settleWithin(client.call("reliability.echo", { value: "next" }), 60_000, "next call");
    expect(next).toEqual({ status: "fulfilled", value: "next" });
    expect(client.workerPid).not.toBe(oldPid);
    // The worker whose channel broke is gone, not left running beside the new one.
    expect(await liveChildPids()).toEqual([client.workerPid]);
  }

  it("an undecodable frame: the pending calls get a typed error, the broken worker is gone, the next call works", async () => {
    const oldPid = client.workerPid!;
    const held = client.call("reliability.hold", { quiet: true });
    const writing = client.call("reliability.writeRaw", { hex: rawFrame([9, 1]).toString("hex") });
    // Its own reply is a valid frame right behind the bad one: bare-rpc still delivers it when both
    // arrive in one chunk, so this call may resolve. It must not hang either way.
    const written = await settleWithin(writing, BOUND_MS, "the call that wrote the bad frame");
    if (written.status === "rejected") expectTransportFailure(written.reason);
    else expect(written.value).toBe("written");
    expectTransportFailure(reasonOf(await settleWithin(held, BOUND_MS, "a call pending beside it")));
    await expectRecovered(oldPid);
  });

  it("7,000 tiny frames from the worker in one write: the client's parser survives and the same worker keeps serving", async () => {
    const oldPid = client.workerPid!;
    // Events of a command the client ignores, 9 bytes each, 63 KB: under a pipe's 64 KiB buffer, so the client
    // reads them in one chunk. bare-rpc alone overflows its stack on ~3,750 frames in one read.
    const burst = Buffer.concat(Array.from({ length: 7_000 }, () => rawFrame([1, 0, 99, 0, 0])));
    const written = await settleWithin(client.call("reliability.writeRaw", { hex: burst.toString("hex") }), BOUND_MS, "the burst");
    expect(written).toEqual({ status: "fulfilled", value: "written" });
    expect(await client.call("reliability.echo", { value: "after" })).toBe("after");
    expect(client.workerPid).toBe(oldPid);
  });

  it("a worker that dies in the middle of writing a frame: WorkerCrashedError with its exit code, the next call works", async () => {
    const oldPid = client.workerPid!;
    const held = client.call("reliability.hold", { quiet: true });
    const writing = client.call("reliability.writeRaw", { hex: rawFrame([2, 1, 0, 0, 40], TRUNCATED_CLAIM).toString("hex"), thenExit: true });
    const error = reasonOf(await settleWithin(writing, BOUND_MS, "the call that wrote half a frame"));
    expect(WorkerCrashedError.isInstance(error), String(error)).toBe(true);
    expect((error as WorkerCrashedError).exitCode).toBe(7);
    expectTransportFailure(reasonOf(await settleWithin(held, BOUND_MS, "a call pending beside it")));
    await expectRecovered(oldPid);
  });

  it("a truncated frame from a worker that stays alive does not leave the calls behind it hanging", async () => {
    const oldPid = client.workerPid!;
    // Claims 1 MiB, carries 5: every reply that follows is swallowed into it.
    const writing = client.call("reliability.writeRaw", { hex: rawFrame([2, 1, 0, 0, 40], TRUNCATED_CLAIM).toString("hex") });
    expectTransportFailure(reasonOf(await settleWithin(writing, BOUND_MS, "the call behind the truncated frame")));
    await expectRecovered(oldPid);
  });

  it("an absurd length prefix (more than MAX_PAYLOAD_BYTES) is refused at once instead of buffered", async () => {
    const oldPid = client.workerPid!;
    const writing = client.call("reliability.writeRaw", { hex: Buffer.from("not a frame, just text").toString("hex") });
    expectTransportFailure(reasonOf(await settleWithin(writing, BOUND_MS, "the call behind the garbage")));
    await expectRecovered(oldPid);
  });

  it("close() on a client whose channel is stuck behind a truncated frame still resolves and stops the worker", async () => {
    const pid = client.workerPid!;
    const server = await startAssetServer();
    server.setAsset("/written", Buffer.from("ok"));
    const writing = client.call("reliability.writeRaw", { hex: rawFrame([2, 1, 0, 0, 40], TRUNCATED_CLAIM).toString("hex"), notifyUrl: server.url("/written") });
    // The pipe can no longer tell us: the op reports over HTTP that the bad frame is out.
    await server.waitForRequest("/written");
    await server.close();
    const stuck = client.call("reliability.echo", { value: "behind the stuck frame" });
    const closed = await settleWithin(client.close(), BOUND_MS, "close() with a stuck channel");
    expect(closed.status).toBe("fulfilled");
    for (const call of [writing, stuck]) {
      const outcome = await settleWithin(call, BOUND_MS, "a call pending at close()");
      expect(outcome.status).toBe("rejected");
    }
    expect(await liveChildPids()).not.toContain(pid);
  });
});
