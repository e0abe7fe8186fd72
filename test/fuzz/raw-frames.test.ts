/**
 * Fuzzing the worker's pipe with a raw bare-rpc client (no SDK): mutated
 * payloads of every command, framing attacks, and everything cut into writes
 * at random places. Each reply must be typed, the worker must keep answering
 * (or, after bytes that break the framing, say why and exit with the
 * protocol-violation code), and its memory must stay bounded.
 * Seeded: see fuzz-settings.ts for replaying a failure.
 */
import { randomUUID } from "node:crypto";
import { Command, KNOWN_ERROR_CODES, WorkerExitCode } from "@rein/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { startRawWorker, type RawWorker } from "../helpers/reliability-raw-worker.ts";
import { seededRandom, settleWithin } from "../helpers/reliability-support.ts";
import { framingAttack, mutatedPayload, randomSplits, templates } from "./frame-mutations.ts";
import { fuzzSettings } from "./fuzz-settings.ts";

const REPLY_BOUND_MS = 30_000;
const BATCH = 25;
/** How long a batch's requests may run before the harness cancels whatever is still open. */
const LONG_LIVED_MS = 1_000;
/** Test timeouts that grow with REIN_FUZZ_RUNS. */
const rounds = Math.max(1, Number(process.env.REIN_FUZZ_RUNS) || 1);
/** Heap the worker may gain over a whole run: bounded, whatever the run's size. */
const HEAP_GROWTH_LIMIT = 48 * 1024 * 1024;

describe("raw-frame fuzzing against a real worker", () => {
  const workers: RawWorker[] = [];
  const start = async () => {
    const worker = await startRawWorker({ captureStderr: true });
    workers.push(worker);
    await worker.handshake({ defaultThreads: 1 });
    return worker;
  };

  afterAll(async () => {
    for (const worker of workers) if (worker.alive) worker.child.kill("SIGKILL");
    await Promise.all(workers.map((worker) => worker.exited));
  });

  it("mutated payloads of every command: every request gets a typed reply and the worker keeps serving", async () => {
    const settings = fuzzSettings("raw payload mutations", { perRound: 100 });
    const random = seededRandom(settings.seed);
    const worker = await start();
    const baseline = await worker.inspect();
    const all = templates(() => randomUUID());
    for (let sent = 0; sent < settings.runs; sent += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, settings.runs - sent) }, (_, index) => {
        const template = random.pick(all);
        const payload = mutatedPayload(template, random);
        const shown = payload.toString("utf8", 0, 300).replace(/[^\x20-\x7e]/g, "?");
        return { label: `case ${sent + index} (command ${template.command}, ${payload.length} bytes: ${shown}) ${settings.label}`, reply: worker.request(template.command, payload) };
      });
      // Some mutations are legitimately long-lived (a group without a deadline lasts until it is ended):
      // a cancel of everything bounds them, as a client's close() would. Every reply must still come.
      const cancelAll = setTimeout(() => void worker.request(Command.cancel, { target: { operation: "all" } }).catch(() => undefined), LONG_LIVED_MS);
      for (const { label, reply } of batch) {
        const outcome = await settleWithin(reply, REPLY_BOUND_MS, label);
        expect(outcome.status, label).toBe("fulfilled");
        const value = (outcome as { value: Awaited<typeof reply> }).value;
        if (!value.ok) expect(KNOWN_ERROR_CODES, `${label}: ${String(value.error)}`).toContain(value.error.code);
      }
      clearTimeout(cancelAll);
    }
    const after = await worker.inspect();
    expect(worker.alive, settings.label).toBe(true);
    expect(after.memory.heapUsed - baseline.memory.heapUsed, settings.label).toBeLessThan(HEAP_GROWTH_LIMIT);
  }, 60_000 + rounds * 30_000);

  it("framing attacks cut at random places: the worker answers, or says why and exits with the protocol-violation code; never a hang", async () => {
    const settings = fuzzSettings("raw framing attacks", { perRound: 3 });
    const random = seededRandom(settings.seed);
    let worker = await start();
    const baseline = (await worker.inspect()).memory.heapUsed;
    for (let index = 0; index < settings.runs; index += 1) {
      const attack = framingAttack(random);
      const label = `case ${index}: ${attack.name} (${attack.bytes.length} bytes) ${settings.label}`;
      for (const piece of randomSplits(attack.bytes, random)) worker.writeRaw(piece);
      const inspect = await settleWithin(worker.inspect(), REPLY_BOUND_MS, label);
      if (inspect.status === "fulfilled") {
        expect(attack.outcome, label).not.toBe("closes");
        expect(inspect.value.memory.heapUsed - baseline, label).toBeLessThan(HEAP_GROWTH_LIMIT);
        continue;
      }
      expect(attack.outcome, label).not.toBe("answers");
      const exit = await settleWithin(worker.exited, REPLY_BOUND_MS, `${label}: exit`);
      expect(exit, label).toEqual({ status: "fulfilled", value: { exitCode: WorkerExitCode.protocolViolation, signal: null } });
      expect(worker.goodbyes, label).toHaveLength(1);
      expect(worker.stderr(), label).toContain(worker.goodbyes[0]!.reason);
      worker = await start();
    }
  }, 60_000 + rounds * 60_000);
});
