/**
 * A peer that floods the worker's pipe with what bare-rpc can parse but was
 * never built to survive: tens of thousands of tiny frames in one write (its
 * parser recurses once per frame), and stream-open frames for request ids that
 * do not exist (it remembers each one). The worker must keep answering.
 */
import { Command, encodeJson } from "@rein/protocol";
import { testModelPath } from "@rein/test-model";
import type { WorkerMemory } from "../../bench/harness/memory-op.ts";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { rawFrame, startRawWorker, type RawWorker } from "../helpers/reliability-raw-worker.ts";
import { settleWithin } from "../helpers/reliability-support.ts";

const BOUND_MS = 20_000;
const memoryOpModule = fileURLToPath(new URL("../../bench/harness/memory-op.ts", import.meta.url));

/** A bare-rpc event frame (type 1, id 0, command 100, no stream) with an empty body: 9 bytes on the wire. */
const tinyEvent = rawFrame([1, 0, 100, 0, 0]);
/** bare-rpc stream-open (OPEN | RESPONSE = 0x201) for request `id`, an id nobody sent. */
function streamOpen(id: number): Buffer {
  const body = Buffer.alloc(1 + 5 + 3);
  body[0] = 3;
  body[1] = 0xfe;
  body.writeUInt32LE(id, 2);
  body[6] = 0xfd;
  body.writeUInt16LE(0x201, 7);
  return rawFrame(body);
}

describe("a hostile peer on the worker's pipe", () => {
  let worker: RawWorker | undefined;

  afterEach(async () => {
    if (worker?.alive) worker.child.kill("SIGKILL");
    await worker?.exited;
    worker = undefined;
  });

  it("50,000 tiny event frames in one write: the worker keeps answering (bare-rpc alone overflows its stack at ~3,750)", async () => {
    worker = await startRawWorker();
    await worker.handshake({ defaultThreads: 1 });
    worker.writeRaw(Buffer.concat(Array.from({ length: 50_000 }, () => tinyEvent)));
    const inspect = await settleWithin(worker.inspect(), BOUND_MS, "inspect after the burst");
    expect(inspect.status).toBe("fulfilled");
    expect(worker.alive).toBe(true);
    expect(worker.goodbyes).toEqual([]);
  });

  it("5,000 tiny inspect requests in one write: the worker answers them and still serves afterwards", async () => {
    worker = await startRawWorker();
    await worker.handshake({ defaultThreads: 1 });
    // The raw client's own ids start at 1 and it sent one (the handshake); hand-made ids go far above them
    // in a compact-encoding varint of 5 bytes, so the replies reach nobody (bare-rpc ignores unknown ids).
    const frames = Array.from({ length: 5_000 }, (_, index) => {
      const body = Buffer.concat([Buffer.from([1, 0xfe]), Buffer.alloc(4), Buffer.from([Command.inspect, 0, 2]), encodeJson({})]);
      body.writeUInt32LE(1_000_000 + index, 2);
      return rawFrame(body);
    });
    worker.writeRaw(Buffer.concat(frames));
    const inspect = await settleWithin(worker.inspect(), BOUND_MS, "inspect after the burst");
    expect(inspect.status).toBe("fulfilled");
    expect(worker.alive).toBe(true);
  });

  it("400,000 stream-open frames for unknown ids are refused: counted, never remembered, and the worker keeps serving", async () => {
    // Heap is compared after full collections (the bench's memory op, `--expose-gc`): without them the numbers
    // mostly measure the flood's own garbage, which is not what this is about.
    worker = await startRawWorker({ env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --expose-gc` } });
    await worker.handshake({ defaultThreads: 1, opModules: [memoryOpModule] });
    // The worker loads node-llama-cpp in the background after its handshake; a load waits for that, so the
    // baseline below does not count the engine's own modules.
    await worker.call("loadModel", { modelSrc: await testModelPath() });
    const heapBefore = ((await worker.call("bench.memory", {})) as WorkerMemory).heapUsed;
    const before = await worker.inspect();
    const total = 400_000;
    for (let sent = 0; sent < total; sent += 20_000) {
      worker.writeRaw(Buffer.concat(Array.from({ length: 20_000 }, (_, index) => streamOpen(10 + sent + index))));
    }
    const after = await settleWithin(worker.inspect(), BOUND_MS, "inspect after the stream-open flood");
    expect(after.status).toBe("fulfilled");
    const snapshot = (after as { value: typeof before }).value;
    expect(snapshot.counters.framesRefused - before.counters.framesRefused).toBe(total);
    const memory = (await worker.call("bench.memory", {})) as WorkerMemory;
    expect(memory.collected).toBe(true);
    // The defect grew bare-rpc's table by ~10 MiB of heap for this many ids; refused frames leave nothing behind.
    expect(memory.heapUsed - heapBefore).toBeLessThan(2 * 1024 * 1024);
  });
});
