import { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createClient } from "@rein/sdk";
import { defineOp, WorkerHost } from "@rein/server";

/** A host-side stream that records each write call it gets (one entry per `write`/`writev` of the host). */
function recordingPair(): { hostSide: Duplex; clientSide: Duplex; writes: Buffer[] } {
  const writes: Buffer[] = [];
  let clientSide!: Duplex;
  const deliver = (bytes: Buffer) => {
    writes.push(bytes);
    clientSide.push(bytes);
  };
  const hostSide = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      deliver(chunk);
      callback();
    },
    writev(chunks: { chunk: Buffer }[], callback) {
      deliver(Buffer.concat(chunks.map((entry) => entry.chunk)));
      callback();
    },
    final(callback) {
      clientSide.push(null);
      callback();
    },
    destroy(error, callback) {
      if (!clientSide.destroyed) clientSide.destroy();
      callback(error);
    },
  });
  clientSide = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      hostSide.push(chunk);
      callback();
    },
    final(callback) {
      hostSide.push(null);
      callback();
    },
    destroy(error, callback) {
      if (!hostSide.destroyed) hostSide.destroy();
      callback(error);
    },
  });
  return { hostSide, clientSide, writes };
}

/** Like the completion op: on cancel it sends its pending output, inside the abort, before the cancel is acknowledged. */
const lastWordsOp = defineOp({
  name: "test.lastWords",
  kind: "custom",
  input: z.object({}).strict(),
  model: "none",
  cancel: "hard",
  run: (context) =>
    new Promise<{ stopped: boolean }>((resolve) => {
      context.onCancel(() => context.emit("last-words"));
      context.signal.addEventListener("abort", () => resolve({ stopped: true }), { once: true });
      context.emit("started");
    }),
});

describe("a cancel's frames on the wire", () => {
  it("the text a cancel flushes and the cancel's acknowledgement leave in one write (one wake-up of the client)", async () => {
    const host = new WorkerHost({ ops: [lastWordsOp] });
    const { hostSide, clientSide, writes } = recordingPair();
    host.connect(hostSide, { trust: "local" });
    const client = createClient({ connect: () => clientSide });
    try {
      for (let round = 0; round < 3; round += 1) {
        const stream = client.stream<string, { stopped: boolean }>("test.lastWords", {});
        const seen: string[] = [];
        for await (const chunk of stream) {
          seen.push(chunk);
          if (chunk !== "started") continue;
          const before = writes.length;
          expect(await client.cancel({ requestId: stream.requestId })).toEqual({ cancelled: 1 });
          const acknowledgement = writes.slice(before).findIndex((bytes) => bytes.includes('"cancelled":1'));
          expect(acknowledgement).toBeGreaterThanOrEqual(0);
          const batch = writes[before + acknowledgement]!;
          expect(batch.includes("last-words")).toBe(true);
          // Nothing of this cancel went out before the acknowledgement's write.
          expect(writes.slice(before, before + acknowledgement).some((bytes) => bytes.includes("last-words"))).toBe(false);
        }
        expect(seen).toEqual(["started", "last-words"]);
        await stream.result.catch(() => undefined);
      }
    } finally {
      await client.close();
      await host.shutdown();
    }
  });
});
