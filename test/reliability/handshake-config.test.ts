/**
 * The handshake through a real worker process: its config is validated
 * before any of it applies, and it is accepted once per connection, so a
 * peer cannot reconfigure a live worker (least of all import op modules,
 * which is running code).
 */
import { Command, ErrorCode, InvalidInputError, ProtocolError, PROTOCOL_VERSION, UnknownOperationError, type ReinError } from "@rein/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRawWorker, type RawReply, type RawWorker } from "../helpers/reliability-raw-worker.ts";
import { RELIABILITY_OPS_MODULE } from "../helpers/reliability-support.ts";

function errorOf(reply: RawReply): ReinError {
  if (reply.ok) throw new Error(`expected an error reply, got ${JSON.stringify(reply.value)}`);
  return reply.error;
}

describe("the handshake through a real worker", () => {
  let worker: RawWorker;

  beforeAll(async () => {
    worker = await startRawWorker();
  });

  afterAll(async () => {
    await worker.stop();
  });

  it("refuses malformed handshakes with typed errors naming the field, then accepts a valid one, then no other", async () => {
    const handshake = (payload: unknown) => worker.request(Command.handshake, payload);
    expect(InvalidInputError.isInstance(errorOf(await handshake({ protocolVersion: "one" })))).toBe(true);
    expect(ProtocolError.isInstance(errorOf(await handshake({ protocolVersion: PROTOCOL_VERSION + 98 })))).toBe(true);
    for (const [config, field] of [
      [{ policies: "abc" }, "config.policies"],
      [{ defaultThreads: -1 }, "config.defaultThreads"],
      [{ defaultThreads: 1e9 }, "config.defaultThreads"],
      [{ defaultThreads: 2, cacheDir: 5 }, "config.cacheDir"],
    ] as const) {
      const error = errorOf(await handshake({ protocolVersion: PROTOCOL_VERSION, config }));
      expect(InvalidInputError.isInstance(error), JSON.stringify(config)).toBe(true);
      expect((error as InvalidInputError).field).toBe(field);
    }
    expect(await worker.handshake({ defaultThreads: 1 })).toMatchObject({ protocolVersion: PROTOCOL_VERSION });

    // A configured worker cannot be reconfigured: no op module is imported, whatever else the message says.
    const again = errorOf(await handshake({ protocolVersion: PROTOCOL_VERSION, config: { opModules: [RELIABILITY_OPS_MODULE] } }));
    expect(again.code).toBe(ErrorCode.Protocol);
    const unknown = await worker.call("reliability.echo", { value: 1 }).catch((error: unknown) => error);
    expect(UnknownOperationError.isInstance(unknown)).toBe(true);
    expect((await worker.inspect()).pid).toBe(worker.pid);
  });
});
