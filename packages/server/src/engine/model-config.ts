import type { ModelConfig } from "@rein/protocol";

/** A model config with every default filled in; this is what the model id hashes. */
export interface ResolvedModelConfig {
  ctxSize: number;
  parallel: number;
  threads: number;
  gpuLayers: number | "auto";
  batchSize: number;
  /** 0 = evaluate the prompt in one go (no cancel checks during prefill). */
  prefillChunkSize: number;
}

/**
 * Default prompt chunk, from the measurements in NOTES.md and bench/: on CPU,
 * 256-token chunks cost ~0% prefill throughput while a cancel lands within
 * ~75 ms on the 55 MB model; 64 halves that latency for +13% prefill time.
 */
export const DEFAULT_PREFILL_CHUNK_SIZE = 256;

export interface ModelConfigDefaults {
  /** Threads when the config names none; 1 keeps tests fast on small machines. */
  threads: number;
  gpuLayers: number | "auto";
  /**
   * The most threads a model gets: the CPU cores this process may use. More
   * threads than cores makes llama.cpp's decode collapse (threads spin-wait for
   * each other), so a larger request is clamped (measured in docs/decisions.md).
   */
  maxThreads?: number;
}

/** The thread count a model really gets: the request (or the default), at most `maxThreads`. */
export function effectiveThreads(config: ModelConfig | undefined, defaults: ModelConfigDefaults): { threads: number; requested: number; clamped: boolean } {
  const requested = config?.threads ?? defaults.threads;
  const limit = defaults.maxThreads !== undefined && defaults.maxThreads >= 1 ? defaults.maxThreads : Number.POSITIVE_INFINITY;
  return { threads: Math.min(requested, limit), requested, clamped: requested > limit };
}

export function resolveModelConfig(config: ModelConfig | undefined, defaults: ModelConfigDefaults): ResolvedModelConfig {
  const parallel = config?.parallel ?? 1;
  return {
    ctxSize: config?.ctx_size ?? 2048,
    parallel,
    threads: effectiveThreads(config, defaults).threads,
    gpuLayers: config?.gpu_layers ?? defaults.gpuLayers,
    batchSize: config?.batch_size ?? 512,
    prefillChunkSize: config?.prefill_chunk_size ?? DEFAULT_PREFILL_CHUNK_SIZE,
  };
}
