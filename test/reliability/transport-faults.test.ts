/**
 * Transport faults as the SDK sees them: the worker writes bytes that are not
 * a valid frame onto the RPC pipe (a custom op writes to fd 3 directly). The
 * SDK-level guarantee: no hang, a typed error, and the next call works.
 */
import { ErrorCode, ProtocolError, WorkerCrashedError, type ReinClient } from "@rein/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rawFrame } from "../helpers/reliability-raw-worker.ts";
import { createTestClient } from "../helpers/rein-test-client.ts";
import { liveChildPids, reasonOf, RELIABILITY_OPS_MODULE, settleWithin } from "../helpers/reliability-support.ts";

// Longer than any stalled-partial-frame watchdog the client may use.
const BOUND_MS = 15_000;

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
    expectTransportFailure(reasonOf(await settleWithin(writing, BOUND_MS, "the call that wrote the bad frame")));
    expectTransportFailure(reasonOf(await settleWithin(held, BOUND_MS, "a call pending beside it")));
    await expectRecovered(oldPid);
  });

  it("a worker that dies in the middle of writing a frame: WorkerCrashedError with its exit code, the next call works", async () => {
    const oldPid = client.workerPid!;
    const held = client.call("reliability.hold", { quiet: true });
    const writing = client.call("reliability.writeRaw", { hex: rawFrame([2, 1, 0, 0, 40], 200).toString("hex"), thenExit: true });
    const error = reasonOf(await settleWithin(writing, BOUND_MS, "the call that wrote half a frame"));
    expect(WorkerCrashedError.isInstance(error), String(error)).toBe(true);
    expect((error as WorkerCrashedError).exitCode).toBe(7);
    expectTransportFailure(reasonOf(await settleWithin(held, BOUND_MS, "a call pending beside it")));
    await expectRecovered(oldPid);
  });

  it("a truncated frame from a worker that stays alive does not leave the calls behind it hanging", async () => {
    const oldPid = client.workerPid!;
    // Claims 200 bytes, carries 5: the reply that follows is swallowed into it.
    const writing = client.call("reliability.writeRaw", { hex: rawFrame([2, 1, 0, 0, 40], 200).toString("hex") });
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
    const writing = client.call("reliability.writeRaw", { hex: rawFrame([2, 1, 0, 0, 40], 200).toString("hex") });
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
