/**
 * The worker's policy for errors nobody caught: its state is unknown, so it
 * says why on stderr and to the client, and exits with
 * WorkerExitCode.internalError. The pending calls get WorkerCrashedError
 * carrying that reason, and the next call runs on a fresh worker — it never
 * keeps a process that looks alive but may never answer again.
 */
import { WorkerExitCode } from "@rein/protocol";
import { ProtocolError, WorkerCrashedError, type ReinClient } from "@rein/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawFrame } from "../helpers/reliability-raw-worker.ts";
import { createTestClient } from "../helpers/rein-test-client.ts";
import { reasonOf, RELIABILITY_OPS_MODULE, settleWithin } from "../helpers/reliability-support.ts";

const BOUND_MS = 10_000;

describe("fatal errors inside the worker", () => {
  let client: ReinClient;

  beforeAll(async () => {
    client = createTestClient({ opModules: [RELIABILITY_OPS_MODULE] });
    await client.ready();
  });

  afterAll(async () => {
    await client.close();
  });

  for (const how of ["uncaughtException", "unhandledRejection"] as const) {
    it(`an ${how}: every pending call gets WorkerCrashedError with exit code ${WorkerExitCode.internalError} and the reason, and the next call works`, async () => {
      const oldPid = client.workerPid;
      const held = client.call("reliability.hold", { quiet: true });
      const crashing = client.call("reliability.exit", { how });
      for (const [label, call] of [["crashing", crashing], ["held", held]] as const) {
        const error = reasonOf(await settleWithin(call, BOUND_MS, label));
        expect(WorkerCrashedError.isInstance(error), `${label}: ${String(error)}`).toBe(true);
        expect((error as WorkerCrashedError).exitCode).toBe(WorkerExitCode.internalError);
        expect((error as WorkerCrashedError).reason).toMatch(new RegExp(`${how === "uncaughtException" ? "uncaught exception" : "unhandled rejection"} in the worker \\(RangeError: a stray ${how}`));
      }
      expect(await client.call("reliability.echo", { value: "after" })).toBe("after");
      expect(client.workerPid).not.toBe(oldPid);
    });
  }

  it("a worker that says goodbye over a protocol violation: pending calls get ProtocolError with its reason, and the next call works", async () => {
    const oldPid = client.workerPid;
    const held = client.call("reliability.hold", { quiet: true });
    const body = Buffer.from(JSON.stringify({ reason: "a frame with a length prefix of 0", fatal: false }));
    // An Event.goodbye frame (type 1, id 0, command 102, no stream) written by the worker onto its own pipe.
    const goodbye = rawFrame(Buffer.concat([Buffer.from([1, 0, 102, 0, body.length]), body]));
    void client.call("reliability.writeRaw", { hex: goodbye.toString("hex") }).catch(() => undefined);
    const error = reasonOf(await settleWithin(held, BOUND_MS, "held"));
    expect(ProtocolError.isInstance(error), String(error)).toBe(true);
    expect((error as ProtocolError).reason).toBe("the worker closed the channel: a frame with a length prefix of 0");
    expect(await client.call("reliability.echo", { value: "after" })).toBe("after");
    expect(client.workerPid).not.toBe(oldPid);
  });
});
