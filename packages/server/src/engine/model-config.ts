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
}

export function resolveModelConfig(config: ModelConfig | undefined, defaults: ModelConfigDefaults): ResolvedModelConfig {
  const parallel = config?.parallel ?? 1;
  return {
    ctxSize: config?.ctx_size ?? 2048,
    parallel,
    threads: config?.threads ?? defaults.threads,
    gpuLayers: config?.gpu_layers ?? defaults.gpuLayers,
    batchSize: config?.batch_size ?? 512,
    prefillChunkSize: config?.prefill_chunk_size ?? DEFAULT_PREFILL_CHUNK_SIZE,
  };
}
