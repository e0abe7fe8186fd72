/**
 * The one place `rein serve` reaches the model: every route asks
 * `backend.clientFor(caller)` for a ReinClient and uses only the public SDK
 * API on it. Today one ordinary spawned client serves every caller (the HTTP
 * layer keeps the request ownership, see request-ownership.ts); the worker
 * host can later hand each caller its own scoped connection behind the same
 * interface.
 */
import { createClient, type ModelConfig, type ProgressEvent, type ReinClient, type ReinLogger } from "@rein/sdk";
import type { ServedModelSpec } from "./model-specs.ts";

/** Who sent a request. `keyId` is a stable, non-secret id of the API key ("key-1", "admin", "anonymous"). */
export interface Caller {
  keyId: string;
  admin: boolean;
}

/** A model the operator loaded at start. */
export interface ServedModel {
  modelId: string;
  modelSrc: string;
}

export interface ServeBackend {
  /** A @rein/sdk ReinClient acting for this caller. */
  clientFor(caller: Caller): ReinClient;
  /** Models the operator loaded at start: name -> modelId (+ the source), for /v1/models and routing. */
  readonly models: ReadonlyMap<string, ServedModel>;
  close(): Promise<void>;
}

export interface ServeBackendOptions {
  models: ServedModelSpec[];
  modelConfig?: ModelConfig;
  threads?: number;
  /** The worker's request lifecycle lines (begin, queued, cancel, end): for diagnostics and the bench. */
  logger?: ReinLogger;
  /** Progress of each model's download and load, by model name. */
  onProgress?: (name: string, progress: ProgressEvent) => void;
  /** Called with each model's name when its load starts and ends (for progress bars). */
  onLoadSettled?: (name: string) => void;
}

/**
 * Starts the worker and loads every model, one after the other (a large model
 * needs the memory the previous one left). A failed load closes the worker and
 * rejects with the SDK's typed error.
 *
 * @example
 * ```ts
 * const backend = await createServeBackend({ models: [{ name: "tiny", modelSrc: path }], modelConfig: { parallel: 2 } });
 * const run = backend.clientFor({ keyId: "anonymous", admin: true }).completion({ modelId: backend.models.get("tiny")!.modelId, history });
 * ```
 */
export async function createServeBackend(options: ServeBackendOptions): Promise<ServeBackend> {
  // A server's worker that crashes comes back with the same models under the same ids: routes keep working.
  const client = createClient({ threads: options.threads, reloadModelsOnRestart: true, logger: options.logger });
  const models = new Map<string, ServedModel>();
  try {
    for (const spec of options.models) {
      const load = client.loadModel({ modelSrc: spec.modelSrc, modelConfig: options.modelConfig, onProgress: (progress) => options.onProgress?.(spec.name, progress) });
      const modelId = await load.finally(() => options.onLoadSettled?.(spec.name));
      models.set(spec.name, { modelId, modelSrc: spec.modelSrc });
    }
  } catch (error) {
    await client.close();
    throw error;
  }
  return {
    clientFor: () => client,
    models,
    close: () => client.close(),
  };
}
