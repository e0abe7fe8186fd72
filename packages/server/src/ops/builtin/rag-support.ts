import type { LoadedModel } from "../../engine/loaded-model.ts";
import type { OpContext } from "../define-op.ts";
import { embedOne } from "./embed-op.ts";

/** Chunks embedded and staged per step of an ingest or reindex: progress and cancel checks come between steps. */
export const DEFAULT_RAG_BATCH_SIZE = 32;

/** A request id made into a staging table suffix (lowercase hex only). */
export function stagingIdOf(requestId: string): string {
  return requestId.replaceAll("-", "").toLowerCase();
}

/** The vector length a model's embeddings have. */
export function embeddingDimensionOf(model: LoadedModel): number {
  return model.model.embeddingVectorSize;
}

/**
 * Embeds texts one by one on the model's embedding context (the same path as `embed`), stopping at the first
 * abort: a cancel waits for at most the one text in flight.
 */
export async function embedTexts(context: OpContext, model: LoadedModel, texts: readonly string[]): Promise<number[][]> {
  const embeddingContext = await model.embeddingContext();
  const vectors: number[][] = [];
  for (const text of texts) {
    context.signal.throwIfAborted();
    const embedding = await embedOne(model, embeddingContext, text, texts.length > 1 ? vectors.length : undefined);
    vectors.push([...embedding.vector]);
  }
  context.signal.throwIfAborted();
  return vectors;
}

/** Adds to a work counter reported by `inspect()`. */
export function addMetric(context: OpContext, name: string, value: number): void {
  const { metrics } = context.services;
  metrics.set(name, (metrics.get(name) ?? 0) + value);
}

/**
 * Measures the longest event-loop block of the worker's main thread while `body` runs, kept as the metric
 * `rag.maxEventLoopDelayMs` (the largest seen; `rag.lastMaxEventLoopDelayMs` for the latest op): the store runs in its own thread so this stays small, and a
 * cancel is answered within it.
 */
export async function measuringEventLoop<T>(context: OpContext, body: () => Promise<T>): Promise<T> {
  // node:perf_hooks is loaded here, by the first RAG op, rather than at worker start.
  const histogram = process.getBuiltinModule("node:perf_hooks").monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  try {
    return await body();
  } finally {
    histogram.disable();
    const { metrics } = context.services;
    metrics.set("rag.maxEventLoopDelayMs", Math.max(metrics.get("rag.maxEventLoopDelayMs") ?? 0, histogram.max / 1e6));
    metrics.set("rag.lastMaxEventLoopDelayMs", histogram.max / 1e6);
  }
}

/** Splits `items` into consecutive batches of `size`. */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}
