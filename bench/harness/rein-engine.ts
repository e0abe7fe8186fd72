import type { ChatMessage, ModelConfig } from "@rein/protocol";
import { createClient, type ReinClient } from "@rein/sdk";
import { LifecycleWatch } from "./lifecycle-watch.ts";
import { newTrace, type CancelPlan, type GenerationSettings, type GenerationTrace } from "./generation-trace.ts";

/** Each bench client's lifecycle watch, to time when the worker really finished a request. */
const watches = new WeakMap<ReinClient, LifecycleWatch>();

/**
 * A Rein client for the bench: its own worker, the bench's thread count, the
 * worker's stdout/stderr discarded so they cannot interleave with the report,
 * and its lifecycle log followed (see `LifecycleWatch`).
 *
 * @example
 * ```ts
 * await using client = await startReinClient({ threads: 1 });
 * ```
 */
export async function startReinClient(options: { threads: number; opModules?: (string | URL)[]; exposeGc?: boolean; cacheDir?: string }): Promise<ReinClient> {
  // Lifecycle lines (a few per request, none per token) tell when the worker really finished a request.
  const watch = new LifecycleWatch();
  const client = createClient({ threads: options.threads, workerStdio: "ignore", opModules: options.opModules, logger: watch.logger, cacheDir: options.cacheDir });
  watches.set(client, watch);
  if (!options.exposeGc) {
    await client.ready();
    return client;
  }
  // The worker inherits this process's environment when it is spawned (in ready()); Node 20 allows --expose-gc in NODE_OPTIONS.
  const previous = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = [previous, "--expose-gc"].filter(Boolean).join(" ");
  try {
    await client.ready();
  } finally {
    if (previous === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = previous;
  }
  return client;
}

/**
 * The lifecycle watch of a client made by `startReinClient`, for paths that run on that client without
 * `runReinGeneration` (the AI SDK provider).
 *
 * @example
 * ```ts
 * const ended = await lifecycleWatchOf(client)?.endOf(requestId);
 * ```
 */
export function lifecycleWatchOf(client: ReinClient): LifecycleWatch | undefined {
  return watches.get(client);
}

/**
 * The `modelConfig` that matches a plain context of the same shape.
 *
 * @example
 * ```ts
 * await client.loadModel({ modelSrc, modelConfig: reinModelConfig({ threads: 1, contextSize: 2048, parallel: 1 }) });
 * ```
 */
export function reinModelConfig(options: { threads: number; contextSize: number; parallel: number; prefillChunkSize?: number }): ModelConfig {
  const config: ModelConfig = { ctx_size: options.contextSize, parallel: options.parallel, threads: options.threads, batch_size: 512 };
  if (options.prefillChunkSize !== undefined) config.prefill_chunk_size = options.prefillChunkSize;
  return config;
}

/**
 * One completion through Rein (client -> RPC -> worker -> node-llama-cpp),
 * observed in the client's `for await` loop. Cancel is `run.cancel()`; the
 * trace ends when `completionDone` arrives.
 *
 * @example
 * ```ts
 * const trace = await runReinGeneration({ client, modelId, history, settings, cancel: { kind: "afterChunks", chunks: 32 } });
 * console.log(trace.settledAt - trace.cancelAt!);
 * ```
 */
export async function runReinGeneration(options: {
  client: ReinClient;
  modelId: string;
  history: readonly ChatMessage[];
  settings: GenerationSettings;
  cancel: CancelPlan;
  /** Called after each text chunk is recorded and before a planned cancel, e.g. to start a second request mid-stream. */
  onChunk?: (chunks: number) => void;
}): Promise<GenerationTrace> {
  const { client, settings, cancel } = options;
  const trace = newTrace(performance.now());
  const run = client.completion({
    modelId: options.modelId,
    history: [...options.history],
    maxTokens: settings.maxTokens,
    temperature: settings.temperature,
    seed: settings.seed,
  });
  let cancelReply: Promise<unknown> | undefined;
  let failure: unknown;
  const stop = () => {
    if (trace.cancelAt !== null) return;
    trace.cancelAt = performance.now();
    const reply = run.cancel();
    trace.cancelSentAt = performance.now();
    cancelReply = reply.then(() => {
      trace.cancelRepliedAt = performance.now();
    });
  };
  trace.requestId = run.requestId;
  const timer = cancel.kind === "afterMs" ? setTimeout(stop, cancel.ms) : undefined;
  try {
    for await (const event of run.events) {
      const now = performance.now();
      if (event.type === "contentDelta") {
        if (trace.lastChunkAt !== null) trace.maxChunkGapMs = Math.max(trace.maxChunkGapMs, now - trace.lastChunkAt);
        trace.firstChunkAt ??= now;
        trace.lastChunkAt = now;
        trace.chunks += 1;
        trace.text += event.text;
        if (trace.cancelAt !== null) trace.chunksAfterCancel += 1;
        options.onChunk?.(trace.chunks);
        if (cancel.kind === "afterChunks" && trace.chunks === cancel.chunks) stop();
      } else if (event.type === "completionStats") {
        trace.tokens = event.stats.generatedTokens;
        trace.workerTimeToFirstTokenMs = event.stats.timeToFirstTokenMs;
      } else if (event.type === "completionDone") {
        trace.settledAt = now;
        trace.stopReason = event.stopReason;
        if (event.stopReason === "error") failure = event.error;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  await cancelReply;
  const watch = watches.get(client);
  if (watch !== undefined) trace.workerEndedAt = await watch.endOf(run.requestId);
  if (trace.stopReason === "error") throw new Error(`Rein completion failed: ${JSON.stringify(failure)}`);
  return trace;
}
