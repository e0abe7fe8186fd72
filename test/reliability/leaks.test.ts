/**
 * Leaks after many requests with every kind of cancel: the worker's registry
 * ends empty, one long-lived AbortSignal shared by every request gathers no
 * listeners (a MaxListenersExceededWarning fails the test), no timer stays
 * armed in the client or the worker, open handles return to the baseline after close(), and the
 * worker's memory stays bounded.
 */
import { getEventListeners } from "node:events";
import { InferenceCancelledError, RequestTimeoutError, type CompletionRun, type ReinClient } from "@rein/sdk";
import { describe, expect, it } from "vitest";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";
import { activeResources, RELIABILITY_OPS_MODULE, resourcesAbove, resourcesBackTo, seededRandom, settleWithin, watchWarnings } from "../helpers/reliability-support.ts";
import { firstDelta } from "../helpers/run-events.ts";

const REQUESTS = 200;
// At most this many requests share the signal at once: below Node's default of 10
// listeners, so a warning can only mean listeners that outlived their request.
const CONCURRENCY = 4;
const BOUND_MS = 30_000;
const RSS_GROWTH_LIMIT = 96 * 1024 * 1024;

type Mode = "complete" | "cancelById" | "runCancel" | "cancelByModel" | "abortSignal" | "timeout" | "breakLoop" | "dispose" | "embed";
const MODES: Mode[] = ["complete", "cancelById", "runCancel", "cancelByModel", "abortSignal", "timeout", "breakLoop", "dispose", "embed"];

/** Resolves at the first token, or when the run ended without one; never cancels the run (the mode under test does). */
const firstEventOrEnd = (run: CompletionRun) => firstDelta(run, { orEnd: true });

async function oneRequest(client: ReinClient, modelId: string, mode: Mode, sharedSignal: AbortSignal, random: ReturnType<typeof seededRandom>, counts: { cancels: number }): Promise<string> {
  if (mode === "embed") {
    await client.embed({ modelId, text: "leak check", signal: sharedSignal });
    return "embedded";
  }
  const own = new AbortController();
  const signal = mode === "abortSignal" ? own.signal : sharedSignal;
  const maxTokens = mode === "complete" ? 1 + random.int(24) : 100_000;
  const run = client.completion({ modelId, history: history(), maxTokens, signal, timeoutMs: mode === "timeout" ? 5 + random.int(40) : undefined });
  switch (mode) {
    case "cancelById":
      if (random.next() < 0.5) await firstEventOrEnd(run);
      counts.cancels += 1;
      await client.cancel({ requestId: run.requestId });
      break;
    case "runCancel":
      counts.cancels += 1;
      await run.cancel();
      break;
    case "cancelByModel":
      await firstEventOrEnd(run);
      counts.cancels += 1;
      await client.cancel({ modelId, kind: "completion" });
      break;
    case "abortSignal":
      if (random.next() < 0.5) await firstEventOrEnd(run);
      own.abort(new Error("user pressed stop"));
      break;
    case "breakLoop":
      // Leaving the loop early cancels the run.
      for await (const event of run.events) if (event.type === "contentDelta") break;
      break;
    case "dispose":
      await run[Symbol.asyncDispose]();
      break;
    default:
      break;
  }
  try {
    await run.final;
    return "completed";
  } catch (error) {
    if (InferenceCancelledError.isInstance(error)) return "cancelled";
    if (RequestTimeoutError.isInstance(error)) return "timeout";
    throw error;
  }
}

describe("no leaks after many requests with cancels", () => {
  it(`${REQUESTS} requests sharing one AbortSignal: empty registry, no listeners, no warnings, handles back to baseline, bounded worker memory`, async () => {
    const warnings = watchWarnings("MaxListenersExceededWarning");
    const baseline = activeResources();
    const sharedController = new AbortController();
    const sharedSignal = sharedController.signal;
    const random = seededRandom(20_260_101);
    const counts = { cancels: 0 };
    const outcomes: Record<string, number> = {};
    const client = createTestClient({ opModules: [RELIABILITY_OPS_MODULE] });
    const workerResources = () => client.call<Record<string, number>>("reliability.resources", {});
    try {
      const modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { parallel: 2 } });
      const workerBaseline = await workerResources();
      let rssAfterWarmup = 0;
      for (let started = 0; started < REQUESTS; started += CONCURRENCY) {
        const batch = Array.from({ length: Math.min(CONCURRENCY, REQUESTS - started) }, (_, index) =>
          settleWithin(oneRequest(client, modelId, MODES[(started + index) % MODES.length]!, sharedSignal, random, counts), BOUND_MS, `request ${started + index}`),
        );
        // The measurement is not vacuous: the requests in flight do hold listeners on the shared signal.
        if (started === 0) expect(getEventListeners(sharedSignal, "abort").length).toBeGreaterThan(0);
        for (const outcome of await Promise.all(batch)) {
          expect(outcome.status, outcome.status === "rejected" ? String(outcome.reason) : "").toBe("fulfilled");
          if (outcome.status === "fulfilled") outcomes[outcome.value] = (outcomes[outcome.value] ?? 0) + 1;
        }
        if (started === 10 * CONCURRENCY) rssAfterWarmup = (await client.inspect()).memory.rss;
      }

      expect(getEventListeners(sharedSignal, "abort")).toHaveLength(0);
      expect(warnings.seen.map(String)).toEqual([]);
      // Every kind of ending happened, so each cleanup path was exercised.
      expect(Object.keys(outcomes).sort()).toEqual(["cancelled", "completed", "embedded", "timeout"]);

      const snapshot = await client.inspect();
      expect(snapshot.requests).toEqual([]);
      expect(snapshot.queued).toBe(0);
      expect(snapshot.counters.begun).toBe(snapshot.counters.ended);
      expect(snapshot.rememberedCancels).toBeLessThanOrEqual(counts.cancels);
      expect(snapshot.memory.rss - rssAfterWarmup).toBeLessThan(RSS_GROWTH_LIMIT);
      // Worker side: no deadline or queue timer outlived its request, no handle stayed open.
      expect(resourcesAbove(workerBaseline, await workerResources())).toEqual({});
      // Client side: nothing armed beyond what the live worker connection itself needs.
      expect(resourcesAbove(baseline, activeResources()).Timeout ?? 0).toBe(0);
    } finally {
      await client.close();
      warnings.stop();
    }
    expect(await resourcesBackTo(baseline)).toEqual({});
    expect(warnings.seen).toEqual([]);
  });
});
