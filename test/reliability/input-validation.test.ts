/**
 * Table-driven bad inputs across every public function. Each must fail with a
 * typed error (InvalidInputError 50001 naming the field, or
 * ModelNotLoadedError 52003 for an id only the worker can check), on the
 * client when the client can know, and again in the worker for a client that
 * skipped validation: the worker answers, stays up, and keeps no entry.
 */
import { randomUUID } from "node:crypto";
import { Command } from "@rein/protocol";
import { InvalidInputError, ModelNotLoadedError, ReinError, type ReinClient, type WorkerSnapshot } from "@rein/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { badInputRows, type BadInputRow } from "../helpers/reliability-bad-inputs.ts";
import { startRawWorker, type RawWorker } from "../helpers/reliability-raw-worker.ts";
import { createTestClient, tinyModel } from "../helpers/rein-test-client.ts";
import { reasonOf, RELIABILITY_OPS_MODULE, settleWithin } from "../helpers/reliability-support.ts";

const BOUND_MS = 10_000;

function expectField(actual: string, expected: string | RegExp, row: string): void {
  if (typeof expected === "string") expect(actual, `${row}: field`).toBe(expected);
  else expect(actual, `${row}: field`).toMatch(expected);
}

function expectRowError(error: unknown, row: BadInputRow): void {
  expect(ReinError.isInstance(error), `${row.name}: expected a Rein error, got ${String(error)}`).toBe(true);
  expect((error as ReinError).code, `${row.name}: code (${String(error)})`).toBe(row.code);
  if (row.field !== undefined) {
    expect(InvalidInputError.isInstance(error), row.name).toBe(true);
    const invalid = error as InvalidInputError;
    expectField(invalid.field, row.field, row.name);
    expect(invalid.reason.length, `${row.name}: reason`).toBeGreaterThan(0);
    if (row.reasonMentions) expect(invalid.reason, `${row.name}: reason`).toMatch(row.reasonMentions);
    expect(invalid.message, `${row.name}: message names the field`).toContain(invalid.field === "" ? "input" : invalid.field);
  }
  if (row.modelId !== undefined) {
    expect(ModelNotLoadedError.isInstance(error), row.name).toBe(true);
    expect((error as ModelNotLoadedError).modelId, row.name).toBe(row.modelId);
  }
}

const wireTraffic = (snapshot: WorkerSnapshot) => snapshot.counters.callsReceived + snapshot.counters.cancelsReceived;

describe("bad inputs through the SDK", () => {
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient({ opModules: [RELIABILITY_OPS_MODULE] });
    modelId = await client.loadModel({ modelSrc: await tinyModel() });
  });

  afterAll(async () => {
    await client.close();
  });

  it("the table covers at least 40 mistakes across every public function", () => {
    expect(badInputRows.length).toBeGreaterThanOrEqual(40);
    const functions = new Set(badInputRows.map((row) => row.name.split(":")[0]));
    expect([...functions].sort()).toEqual(["call", "cancel", "completion", "downloadAsset", "embed", "loadModel", "unloadModel"]);
  });

  for (const row of badInputRows) {
    it(`${row.name} -> ${row.code}${row.field !== undefined ? ` naming "${String(row.field)}"` : ""}${row.workerSide ? " (worker)" : " (client)"}`, async () => {
      const before = await client.inspect();
      const outcome = await settleWithin(
        (async () => row.invoke(client, { modelId }))(),
        BOUND_MS,
        row.name,
      );
      expectRowError(reasonOf(outcome), row);
      const after = await client.inspect();
      if (!row.workerSide) {
        // Refused before anything was written to the worker.
        expect(wireTraffic(after), `${row.name}: the bad input reached the worker`).toBe(wireTraffic(before));
      }
      expect(after.pid).toBe(before.pid);
      expect(after.requests).toEqual([]);
      expect(after.models.map((model) => model.modelId)).toEqual([modelId]);
    });
  }

  it("a bad input never throws synchronously: completion() still returns a run", () => {
    const run = client.completion({ modelId, history: [] });
    expect(run.requestId).toMatch(/^[0-9a-f-]{36}$/);
    return expect(run.final).rejects.toSatisfy((error: unknown) => InvalidInputError.isInstance(error));
  });
});

describe("the same bad inputs sent straight to the worker (client validation skipped)", () => {
  let worker: RawWorker;
  const rawRows = badInputRows.filter((row) => row.raw !== undefined);

  beforeAll(async () => {
    worker = await startRawWorker();
    await worker.handshake({ defaultThreads: 1, opModules: [RELIABILITY_OPS_MODULE] });
  });

  afterAll(async () => {
    await worker.stop();
  });

  it("covers a subset of at least 20 rows, from every function", () => {
    expect(rawRows.length).toBeGreaterThanOrEqual(20);
  });

  for (const row of rawRows) {
    it(`${row.name}: the worker answers InvalidInputError naming the field, stays up, keeps no entry`, async () => {
      const raw = row.raw!;
      const requestId = randomUUID();
      const reply =
        "op" in raw
          ? await worker.request(Command.call, { op: raw.op, requestId, input: raw.input })
          : await worker.request(Command.cancel, { target: raw.cancelTarget });
      expect(reply.ok, row.name).toBe(false);
      if (!reply.ok) {
        expect(InvalidInputError.isInstance(reply.error), `${row.name}: ${String(reply.error)}`).toBe(true);
        const field = (reply.error as InvalidInputError).field;
        // The cancel command wraps the target: its fields sit under "target".
        expectField("op" in raw ? field : field.replace(/^target\.?/, ""), row.field!, row.name);
        if (row.reasonMentions) expect((reply.error as InvalidInputError).reason, row.name).toMatch(row.reasonMentions);
      }
      expect(worker.alive).toBe(true);
      const snapshot = await worker.inspect();
      expect(snapshot.requests).toEqual([]);
      expect(snapshot.requests.some((request) => request.requestId === requestId)).toBe(false);
      expect(snapshot.counters.begun).toBe(0);
    });
  }

  it("an unknown modelId sent raw: ModelNotLoadedError, and nothing was begun", async () => {
    for (const op of ["completion", "embed"]) {
      const input = op === "completion" ? { modelId: "never-loaded", history: [{ role: "user", content: "hi" }] } : { modelId: "never-loaded", text: "a" };
      const reply = await worker.request(Command.call, { op, requestId: randomUUID(), input });
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(ModelNotLoadedError.isInstance(reply.error), String(reply.error)).toBe(true);
    }
    const snapshot = await worker.inspect();
    expect(snapshot.requests).toEqual([]);
    expect(snapshot.counters.begun).toBe(0);
  });
});
