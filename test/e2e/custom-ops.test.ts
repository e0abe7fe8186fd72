import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ContextOverflowError,
  InferenceCancelledError,
  OperationFailedError,
  UnknownOperationError,
  type ReinClient,
} from "@rein/sdk";
import { createTestClient } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

const testOps = new URL("../fixtures/test-ops.ts", import.meta.url);

describe("custom ops registered with opModules", () => {
  const log = lifecycleLog();
  let client: ReinClient;

  beforeAll(async () => {
    client = createTestClient({ opModules: [testOps], logger: log.logger });
    await client.ready();
  });
  afterAll(() => client.close());

  it.each(["TypeError", "RangeError", "string", "null", "sync"] as const)(
    "a handler that throws %s gives the caller OperationFailedError and the worker keeps serving",
    async (what) => {
      const pidBefore = client.workerPid;
      const error = await client.call("test.throw", { what }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OperationFailedError);
      expect(error).toMatchObject({ code: 52500, operation: "test.throw" });
      if (what === "TypeError" || what === "sync") expect((error as OperationFailedError).errorName).toBe("TypeError");
      expect(await client.call("test.spell", { text: "ok" })).toEqual({ reversed: "ko", emitted: 2 });
      expect(client.workerPid).toBe(pidBefore);
    },
  );

  it("a handler that throws a Rein error gives the caller that class with its fields", async () => {
    const error = await client.call("test.throw", { what: "rein" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContextOverflowError);
    expect(error).toMatchObject({ code: 52421, promptTokens: 9000, contextSize: 2048 });
  });

  it("an unknown op is a typed error, not a hang", async () => {
    await expect(client.call("no.such.op", {})).rejects.toBeInstanceOf(UnknownOperationError);
  });

  it("a custom op streams its values and returns its result", async () => {
    const stream = client.stream<string, { reversed: string }>("test.spell", { text: "rein" });
    const seen: string[] = [];
    for await (const character of stream) seen.push(character);
    expect(seen.join("")).toBe("rein");
    expect((await stream.result).reversed).toBe("nier");
  });

  it("a custom op cancels through the registry: by id mid-stream, and by leaving the loop early", async () => {
    const stream = client.stream<string>("test.spell", { text: "abcdefghij", repeat: 1000 });
    let count = 0;
    let cancelling: Promise<{ cancelled: number }> | undefined;
    const drained = (async () => {
      for await (const _ of stream) {
        count += 1;
        if (count === 5) cancelling = client.cancel({ requestId: stream.requestId });
      }
    })();
    await expect(drained).rejects.toBeInstanceOf(InferenceCancelledError);
    expect(await cancelling).toEqual({ cancelled: 1 });
    await expect(stream.result).rejects.toMatchObject({ code: 52419, requestId: stream.requestId });
    expect((await log.waitFor({ event: "end", requestId: stream.requestId })).state).toBe("cancelled");

    const early = client.stream<string>("test.spell", { text: "abcdefghij", repeat: 1000 });
    for await (const _ of early) break;
    await expect(early.result).rejects.toBeInstanceOf(InferenceCancelledError);
    expect((await log.waitFor({ event: "end", requestId: early.requestId })).state).toBe("cancelled");
    expect((await client.inspect()).requests).toEqual([]);
  });
});
