/**
 * fast-check over the public SDK API: every call gets parameters that are
 * plausible, absurd or hostile (Symbols, BigInts, prototype-less objects,
 * throwing valueOf, megabyte strings), field by field. Every call must return
 * without throwing, settle within a bound with a value or a typed Rein error,
 * and leave a worker that still answers with bounded memory.
 * Seeded: see fuzz-settings.ts for replaying a failure.
 */
import { KNOWN_ERROR_CODES } from "@rein/protocol";
import { InvalidInputError, type ReinClient } from "@rein/sdk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestClient, tinyModel } from "../helpers/rein-test-client.ts";
import { RELIABILITY_OPS_MODULE, settleWithin } from "../helpers/reliability-support.ts";
import { fuzzSettings } from "./fuzz-settings.ts";

const SETTLE_BOUND_MS = 30_000;
/** A call still running after this long is cancelled: the property is about settling, not about long runs. */
const CANCEL_AFTER_MS = 300;
const HEAP_GROWTH_LIMIT = 64 * 1024 * 1024;

const hostile = fc.constantFrom<unknown>(
  Symbol("fuzz"),
  1n,
  Object.create(null),
  {
    valueOf() {
      throw new Error("valueOf");
    },
  },
  {
    toString() {
      throw new Error("toString");
    },
  },
  NaN,
  Infinity,
  -1,
  0,
  "",
  "x".repeat(100_000),
  [],
  null,
  () => undefined,
  new Date(0),
);

/** Per field: mostly plausible values, sometimes hostile ones, sometimes anything at all. */
const field = <T>(plausible: fc.Arbitrary<T>) => fc.option(fc.oneof({ weight: 6, arbitrary: plausible as fc.Arbitrary<unknown> }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: fc.anything() }), { nil: undefined, freq: 3 });

function arbitraries(modelId: string) {
  const common = {
    timeoutMs: field(fc.integer({ min: 1, max: 5_000 })),
    requestId: field(fc.uuid({ version: 4 })),
    signal: field(fc.constant(new AbortController().signal)),
  };
  const message = fc.record({ role: fc.constantFrom("system", "user", "assistant", "tool", "robot"), content: fc.oneof(fc.string({ maxLength: 40 }), hostile) });
  return fc.oneof(
    fc.record({ call: fc.constant("completion" as const), params: fc.record({ modelId: field(fc.constantFrom(modelId, "not-loaded")), history: field(fc.array(message, { maxLength: 3 })), maxTokens: field(fc.integer({ min: -1, max: 6 })), temperature: field(fc.double({ min: -1, max: 3 })), topP: field(fc.double()), topK: field(fc.integer({ min: -2, max: 50 })), seed: field(fc.integer()), stopSequences: field(fc.array(fc.string(), { maxLength: 3 })), ...common }, { requiredKeys: [] }) }),
    fc.record({ call: fc.constant("embed" as const), params: fc.record({ modelId: field(fc.constantFrom(modelId, "not-loaded")), text: field(fc.string({ maxLength: 60 })), texts: field(fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 })), ...common }, { requiredKeys: [] }) }),
    fc.record({ call: fc.constant("loadModel" as const), params: fc.record({ modelSrc: field(fc.constantFrom("/nonexistent/model.gguf", "http://127.0.0.1:9/m.gguf", "file:///etc/passwd", "")), modelConfig: field(fc.record({ ctx_size: field(fc.integer({ min: -1, max: 256 })), parallel: field(fc.integer({ min: 0, max: 4 })), threads: field(fc.integer({ min: 0, max: 4 })) }, { requiredKeys: [] })), sha256: field(fc.stringMatching(/^[0-9a-f]{64}$/)), ...common }, { requiredKeys: [] }) }),
    fc.record({ call: fc.constant("downloadAsset" as const), params: fc.record({ url: field(fc.constantFrom("http://127.0.0.1:9/a.bin", "ftp://x/y", "http://[::1", "not a url")), sha256: field(fc.stringMatching(/^[0-9a-f]{64}$/)), fileName: field(fc.string({ maxLength: 20 })), ...common }, { requiredKeys: [] }) }),
    fc.record({ call: fc.constant("call" as const), op: field(fc.constantFrom("reliability.echo", "noSuchOp", "bad name!", "")), input: fc.anything(), params: fc.record({ kind: field(fc.constantFrom("custom", "completion", "nope")), ...common }, { requiredKeys: [] }) }),
    fc.record({ call: fc.constant("stream" as const), op: field(fc.constantFrom("reliability.echo", "noSuchOp")), input: fc.anything(), params: fc.record(common, { requiredKeys: [] }) }),
    fc.record({ call: fc.constant("group" as const), params: fc.record(common, { requiredKeys: [] }) }),
  );
}

type Case = { call: string; op?: unknown; input?: unknown; params: Record<string, unknown> };

/** Starts one public call; returns what settles and how to cancel it. Must not throw. */
function invoke(client: ReinClient, fuzzCase: Case): { settled: Promise<unknown>; requestId: unknown } {
  const params = fuzzCase.params as never;
  switch (fuzzCase.call) {
    case "completion": {
      const run = client.completion(params);
      return { settled: run.final, requestId: run.requestId };
    }
    case "embed": {
      const promise = client.embed(params);
      return { settled: promise, requestId: promise.requestId };
    }
    case "loadModel": {
      const promise = client.loadModel(params);
      return { settled: promise, requestId: promise.requestId };
    }
    case "downloadAsset": {
      const promise = client.downloadAsset(params);
      return { settled: promise, requestId: promise.requestId };
    }
    case "call": {
      const promise = client.call(fuzzCase.op as string, fuzzCase.input, params);
      return { settled: promise, requestId: promise.requestId };
    }
    case "stream": {
      const stream = client.stream(fuzzCase.op as string, fuzzCase.input, params);
      return { settled: stream.result, requestId: stream.requestId };
    }
    default: {
      const group = client.group(params);
      void group.end().catch(() => undefined);
      return { settled: group.done, requestId: group.requestId };
    }
  }
}

describe("fast-check over the public API", () => {
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient({ opModules: [RELIABILITY_OPS_MODULE] });
    modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { ctx_size: 256 } });
  });

  afterAll(async () => {
    await client.close();
  });

  it("every call returns synchronously, settles with a value or a typed error, and the worker keeps answering", async () => {
    const settings = fuzzSettings("public API", { perRound: 30 });
    const baseline = (await client.inspect()).memory.heapUsed;
    let index = 0;
    await fc.assert(
      fc.asyncProperty(arbitraries(modelId), async (fuzzCase) => {
        const label = `call ${index++}: ${fuzzCase.call} ${settings.label}`;
        let started: ReturnType<typeof invoke> | undefined;
        expect(() => (started = invoke(client, fuzzCase as Case)), label).not.toThrow();
        expect(typeof started!.requestId, label).toBe("string");
        const timer = setTimeout(() => void client.cancel({ requestId: started!.requestId as string }).catch(() => undefined), CANCEL_AFTER_MS);
        const outcome = await settleWithin(started!.settled, SETTLE_BOUND_MS, label);
        clearTimeout(timer);
        if (outcome.status === "rejected") {
          const error = outcome.reason as { code?: unknown };
          expect(KNOWN_ERROR_CODES, `${label}: ${String(outcome.reason)}`).toContain(error.code);
          if (InvalidInputError.isInstance(error)) expect(typeof error.field, label).toBe("string");
        }
      }),
      { seed: settings.seed, numRuns: settings.runs, endOnFailure: true },
    );
    expect(await client.call("reliability.echo", { value: "still here" }), settings.label).toBe("still here");
    const snapshot = await client.inspect();
    expect(snapshot.memory.heapUsed - baseline, settings.label).toBeLessThan(HEAP_GROWTH_LIMIT);
  }, 60_000 + (Number(process.env.REIN_FUZZ_RUNS) || 1) * 30_000);
});
