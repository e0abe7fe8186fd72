/**
 * The seeded randomized soak: a few hundred (or, behind `npm run soak`,
 * thousands of) mixed operations against one client: completions, cancels by
 * id and by model, loads, unloads, embeddings, downloads and custom ops, up to
 * `concurrency` at once. Every operation must settle within a bound with its
 * value or an error it is allowed to have; the caller then checks the
 * invariants on the worker's snapshot.
 */
import { randomUUID } from "node:crypto";
import {
  InferenceCancelledError,
  ModelNotLoadedError,
  ReinError,
  RequestTimeoutError,
  type CompletionRun,
  type ModelConfig,
  type ReinClient,
  type RequestKind,
} from "@rein/sdk";
import { randomAsset, type AssetServer } from "./asset-server.ts";
import { seededRandom, settleWithin } from "./reliability-support.ts";

export type SoakAction = "completion" | "cancelById" | "cancelByModel" | "embed" | "load" | "unload" | "download" | "custom";

export interface SoakOptions {
  client: ReinClient;
  server: AssetServer;
  seed: number;
  operations: number;
  concurrency: number;
  /** Model files the soak loads, in a few configs each. */
  modelPaths: string[];
  /** Passed to half of the requests: one long-lived signal must not gather listeners. */
  sharedSignal: AbortSignal;
  boundMs: number;
}

export interface SoakReport {
  /** Operations that did not settle, or settled with an error they may not have (with seed and index to replay). */
  failures: string[];
  outcomes: Record<string, number>;
  /** References this soak holds per model id, from the loads and unloads that succeeded. */
  references: Map<string, number>;
  cancelsIssued: number;
}

const MODEL_CONFIGS: ModelConfig[] = [{ parallel: 2 }, { parallel: 1, ctx_size: 1024 }];
const KINDS: (RequestKind | "any")[] = ["any", "completion", "embeddings", "loadModel"];

/** Errors every request may end with under concurrent cancels and unloads. */
function isExpectedError(error: unknown): boolean {
  return InferenceCancelledError.isInstance(error) || RequestTimeoutError.isInstance(error) || ModelNotLoadedError.isInstance(error);
}

/** Resolves at the run's first token or its end, while a reader keeps consuming (so nothing is cancelled by leaving a loop). */
function firstTokenOrEnd(run: CompletionRun): Promise<void> {
  return new Promise((resolve) => {
    void (async () => {
      for await (const event of run.events) if (event.type === "contentDelta") resolve();
    })().then(resolve, resolve);
  });
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { client, server } = options;
  // Picks the action of each operation, in index order: the plan is the same for the same seed.
  const planner = seededRandom(options.seed);
  const report: SoakReport = { failures: [], outcomes: {}, references: new Map(), cancelsIssued: 0 };
  const live = new Set<string>();
  // Loads and unloads run one after another so the expected references are exact.
  let modelLane: Promise<unknown> = Promise.resolve();
  const inLane = <T>(work: () => Promise<T>): Promise<T> => {
    const next = modelLane.then(work, work);
    modelLane = next.catch(() => undefined);
    return next;
  };
  const knownModels = () => [...report.references.keys()];
  const loadedModels = () => knownModels().filter((modelId) => (report.references.get(modelId) ?? 0) > 0);

  server.setAsset("/soak-small.bin", randomAsset(48_000, 11));
  server.setAsset("/soak-drip.bin", randomAsset(1 << 20, 12), { dripBytesPerChunk: 8192, dripIntervalMs: 10 });

  const signalFor = (random: Random, own: AbortController) => (random.next() < 0.5 ? options.sharedSignal : own.signal);

  /** Keeps `requestId` cancellable by id while `work` runs; awaited later, so its rejection is marked handled now. */
  const track = (requestId: string, work: Promise<unknown>): Promise<unknown> => {
    live.add(requestId);
    const tracked = work.finally(() => live.delete(requestId));
    tracked.catch(() => undefined);
    return tracked;
  };

  type Random = ReturnType<typeof seededRandom>;
  const actions: Record<SoakAction, (random: Random) => Promise<string>> = {
    completion: async (random) => {
      const modelId = random.next() < 0.9 ? random.pick(loadedModels().length > 0 ? loadedModels() : ["not-loaded"]) : "not-loaded";
      const own = new AbortController();
      const style = random.pick(["plain", "cancelEarly", "cancelAfterToken", "abort", "timeout", "break"] as const);
      const run: CompletionRun = client.completion({
        modelId,
        history: [{ role: "user", content: `soak ${random.int(1000)}` }],
        maxTokens: style === "plain" ? 1 + random.int(32) : 100_000,
        // The "abort" style needs its own signal; the others share the long-lived one half of the time.
        signal: style === "abort" ? own.signal : signalFor(random, own),
        timeoutMs: style === "timeout" ? 5 + random.int(60) : undefined,
      });
      const tracked = track(run.requestId, run.final);
      if (style === "cancelEarly") {
        report.cancelsIssued += 1;
        await run.cancel();
      } else if (style === "break") {
        // Leaving the loop early cancels the run.
        for await (const event of run.events) if (event.type === "contentDelta") break;
      } else if (style === "cancelAfterToken" || style === "abort") {
        await firstTokenOrEnd(run);
        if (style === "cancelAfterToken") {
          report.cancelsIssued += 1;
          await client.cancel({ requestId: run.requestId });
        }
        if (style === "abort") own.abort();
      }
      await tracked;
      return "completion";
    },
    cancelById: async (random) => {
      const target = live.size > 0 && random.next() < 0.8 ? random.pick([...live]) : randomUUID();
      report.cancelsIssued += 1;
      const { cancelled } = await client.cancel({ requestId: target });
      return cancelled > 0 ? "cancelById:hit" : "cancelById:miss";
    },
    cancelByModel: async (random) => {
      const modelId = random.pick(knownModels().length > 0 ? knownModels() : ["no-model"]);
      const kind = random.pick(KINDS);
      report.cancelsIssued += 1;
      await client.cancel(kind === "any" ? { modelId } : { modelId, kind });
      return "cancelByModel";
    },
    embed: async (random) => {
      const modelId = random.pick(loadedModels().length > 0 ? loadedModels() : ["not-loaded"]);
      const own = new AbortController();
      const abort = random.next() < 0.3;
      const embedding = client.embed({ modelId, texts: ["soak", `text ${random.int(100)}`], signal: abort ? own.signal : signalFor(random, own) });
      if (abort) own.abort();
      await track(embedding.requestId, embedding);
      return "embed";
    },
    load: (random) =>
      inLane(async () => {
        const modelSrc = random.pick(options.modelPaths);
        const modelConfig = random.pick(MODEL_CONFIGS);
        const modelId = await client.loadModel({ modelSrc, modelConfig });
        report.references.set(modelId, (report.references.get(modelId) ?? 0) + 1);
        return "load";
      }),
    unload: (random) =>
      inLane(async () => {
        const loaded = loadedModels();
        if (loaded.length === 0) return "unload:none";
        const modelId = random.pick(loaded);
        await client.unloadModel({ modelId });
        report.references.set(modelId, (report.references.get(modelId) ?? 0) - 1);
        return "unload";
      }),
    download: async (random) => {
      const drip = random.next() < 0.3;
      const download = client.downloadAsset({
        url: server.url(drip ? "/soak-drip.bin" : "/soak-small.bin"),
        fileName: `soak-${options.seed}-${random.int(drip ? 2 : 6)}.bin`,
      });
      const tracked = track(download.requestId, download);
      if (drip) {
        report.cancelsIssued += 1;
        await download.cancel();
      }
      await tracked;
      return "download";
    },
    custom: async (random) => {
      if (random.next() < 0.5) {
        const value = random.int(1_000_000);
        const echoed = await client.call("reliability.echo", { value });
        if (echoed !== value) throw new Error(`echo returned ${String(echoed)} for ${value}`);
        return "custom:echo";
      }
      const held = client.call("reliability.hold", {});
      const tracked = track(held.requestId, held);
      report.cancelsIssued += 1;
      await held.cancel();
      await tracked;
      return "custom:hold";
    },
  };

  const weights: Record<SoakAction, number> = { completion: 30, cancelById: 10, cancelByModel: 4, embed: 10, load: 7, unload: 5, download: 8, custom: 8 };
  let next = 0;
  const worker = async () => {
    while (next < options.operations) {
      const index = next++;
      const action = planner.weighted(weights);
      // Each operation draws from its own stream, so concurrent operations do not reorder each other's choices.
      const outcome = await settleWithin(actions[action](seededRandom(options.seed * 7919 + index)), options.boundMs, `op ${index} (${action})`);
      const label = outcome.status === "fulfilled" ? outcome.value : isExpectedError(outcome.reason) ? `${action}:${(outcome.reason as ReinError).name}` : undefined;
      if (label === undefined) report.failures.push(`seed ${options.seed}, op ${index} (${action}): ${String((outcome as { reason: unknown }).reason)}`);
      else report.outcomes[label] = (report.outcomes[label] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await modelLane;
  return report;
}
