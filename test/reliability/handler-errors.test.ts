/**
 * A handler that throws anything at all (TypeError, RangeError, a string, null,
 * a Rein error, synchronously or a macrotask later) gives the caller a typed
 * error, and the same worker keeps serving.
 */
import { ErrorCode, ModelNotLoadedError, OperationFailedError, ProtocolError, UnknownOperationError, type ReinClient } from "@rein/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ThrowKind } from "../helpers/reliability-ops.ts";
import { createTestClient } from "../helpers/rein-test-client.ts";
import { reasonOf, RELIABILITY_OPS_MODULE, settleWithin } from "../helpers/reliability-support.ts";

const BOUND_MS = 10_000;

/** What each thrown value must become on the client: OperationFailedError keeps the original error's name. */
const expected: Record<ThrowKind, { errorName: string } | "reinError"> = {
  TypeError: { errorName: "TypeError" },
  RangeError: { errorName: "RangeError" },
  ReferenceError: { errorName: "ReferenceError" },
  string: { errorName: "Error" },
  null: { errorName: "Error" },
  undefined: { errorName: "Error" },
  object: { errorName: "Error" },
  sync: { errorName: "TypeError" },
  rejectLater: { errorName: "RangeError" },
  reinError: "reinError",
};

describe("handlers that throw", () => {
  let client: ReinClient;
  let pid: number;

  beforeAll(async () => {
    client = createTestClient({ opModules: [RELIABILITY_OPS_MODULE] });
    pid = (await client.ready()).pid;
  });

  afterAll(async () => {
    await client.close();
  });

  for (const [kind, outcome] of Object.entries(expected) as [ThrowKind, (typeof expected)[ThrowKind]][]) {
    it(`throwing ${kind} gives a typed error and the worker keeps serving`, async () => {
      const error = reasonOf(await settleWithin(client.call("reliability.throw", { kind }), BOUND_MS, `throw ${kind}`));
      if (outcome === "reinError") {
        expect(ModelNotLoadedError.isInstance(error), String(error)).toBe(true);
        expect((error as ModelNotLoadedError).modelId).toBe("thrown-by-op");
      } else {
        expect(OperationFailedError.isInstance(error), String(error)).toBe(true);
        const failed = error as OperationFailedError;
        expect(failed.code).toBe(ErrorCode.OperationFailed);
        expect(failed.operation).toBe("reliability.throw");
        expect(failed.errorName).toBe(outcome.errorName);
      }
      await expect(client.call("reliability.echo", { value: kind })).resolves.toBe(kind);
      expect(client.workerPid).toBe(pid);
      const snapshot = await client.inspect();
      expect(snapshot.requests).toEqual([]);
      expect(snapshot.counters.begun).toBe(snapshot.counters.ended);
    });
  }

  it("many throwing calls at once, interleaved with good ones: each gets its own answer", async () => {
    const kinds = Object.keys(expected) as ThrowKind[];
    const calls = kinds.flatMap((kind, index) => [
      client.call("reliability.throw", { kind }).then(() => "resolved", (error: unknown) => (error as { code?: number }).code),
      client.call("reliability.echo", { value: index }),
    ]);
    const results = await settleWithin(Promise.all(calls), BOUND_MS, "mixed batch");
    expect(results.status).toBe("fulfilled");
    const values = (results as { value: unknown[] }).value;
    kinds.forEach((kind, index) => {
      expect(values[index * 2]).toBe(kind === "reinError" ? ErrorCode.ModelNotLoaded : ErrorCode.OperationFailed);
      expect(values[index * 2 + 1]).toBe(index);
    });
    expect(client.workerPid).toBe(pid);
  });

  it("an op result over the payload limit becomes a ProtocolError, not a dead channel", async () => {
    const error = reasonOf(await settleWithin(client.call("reliability.hugeResult", { megabytes: 17 }), 30_000, "huge result"));
    expect(ProtocolError.isInstance(error), String(error)).toBe(true);
    await expect(client.call("reliability.echo", { value: "after huge" })).resolves.toBe("after huge");
    expect(client.workerPid).toBe(pid);
  });

  it("an input over the payload limit is refused on the client with a ProtocolError, and nothing is left pending", async () => {
    const big = "y".repeat(17 * 1024 * 1024);
    const error = reasonOf(await settleWithin(client.call("reliability.echo", { value: big }), 30_000, "huge input"));
    expect(ProtocolError.isInstance(error), String(error)).toBe(true);
    await expect(client.call("reliability.echo", { value: "after big input" })).resolves.toBe("after big input");
    expect(client.workerPid).toBe(pid);
  });

  it("an unknown op gives UnknownOperationError (52423) naming it", async () => {
    const error = reasonOf(await settleWithin(client.call("no.such.op", {}), BOUND_MS, "unknown op"));
    expect(UnknownOperationError.isInstance(error), String(error)).toBe(true);
    expect((error as UnknownOperationError).operation).toBe("no.such.op");
    expect(client.workerPid).toBe(pid);
  });
});
