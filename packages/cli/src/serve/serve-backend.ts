/**
 * The one place `rein serve` reaches the model. The server hosts the worker
 * in its own process (`WorkerHost`: one registry, many connections) and every
 * caller gets its own in-process connection, scoped to its API key: the
 * registry itself decides what a key may see and cancel, for the HTTP routes
 * and for WebSocket clients (`/rein`) alike. Routes use only
 * `backend.clientFor(caller)` and the public SDK API on it.
 */
import os from "node:os";
import { createClient, type ModelConfig, type ProgressEvent, type ReinClient, type ReinLogger } from "@rein/sdk";
import { WorkerHost } from "@rein/server";
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
  /** A @rein/sdk ReinClient acting for this caller: it sees and cancels only the caller's requests (all, for an admin). */
  clientFor(caller: Caller): ReinClient;
  /** Models the operator loaded at start: name -> modelId (+ the source), for /v1/models and routing. */
  readonly models: ReadonlyMap<string, ServedModel>;
  /** The worker host, for the WebSocket endpoint. */
  readonly host: WorkerHost;
  close(): Promise<void>;
}

export interface ServeBackendOptions {
  models: ServedModelSpec[];
  modelConfig?: ModelConfig;
  threads?: number;
  /** Requests one key may have in flight at once (all its connections together); default unlimited. */
  maxRequestsPerKey?: number;
  /** The worker's request lifecycle lines (begin, queued, cancel, end): for diagnostics and the bench. */
  logger?: ReinLogger;
  /** Progress of each model's download and load, by model name. */
  onProgress?: (name: string, progress: ProgressEvent) => void;
  /** Called with each model's name when its load starts and ends (for progress bars). */
  onLoadSettled?: (name: string) => void;
}

/**
 * Starts the worker host and loads every model, one after the other (a large
 * model needs the memory the previous one left). A failed load shuts the host
 * down and rejects with the SDK's typed error.
 *
 * @example
 * ```ts
 * const backend = await createServeBackend({ models: [{ name: "tiny", modelSrc: path }], modelConfig: { parallel: 2 } });
 * const run = backend.clientFor({ keyId: "anonymous", admin: true }).completion({ modelId: backend.models.get("tiny")!.modelId, history });
 * ```
 */
export async function createServeBackend(options: ServeBackendOptions): Promise<ServeBackend> {
  // Remote callers may name only these models, always with the operator's config (see docs/remote-clients.md).
  const remoteModels = options.models.map((spec) => ({ name: spec.name, modelSrc: spec.modelSrc, modelConfig: options.modelConfig }));
  const host = new WorkerHost({ remoteAccess: { models: remoteModels }, maxRequestsPerOwner: options.maxRequestsPerKey });
  await host.configure({ defaultThreads: options.threads ?? defaultThreads() });
  if (options.logger) host.setLogSink(options.logger);
  // The operator's own connection holds the served models' references for as long as the server runs.
  const operator = createClient({ connect: () => host.openStream({ trust: "local" }) });
  const models = new Map<string, ServedModel>();
  const clients = new Map<string, ReinClient>();
  const close = async () => {
    await Promise.all([...clients.values()].map((client) => client.close()));
    await operator.close();
    await host.shutdown();
  };
  try {
    for (const spec of options.models) {
      const load = operator.loadModel({ modelSrc: spec.modelSrc, modelConfig: options.modelConfig, onProgress: (progress) => options.onProgress?.(spec.name, progress) });
      const modelId = await load.finally(() => options.onLoadSettled?.(spec.name));
      models.set(spec.name, { modelId, modelSrc: spec.modelSrc });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    clientFor(caller) {
      let client = clients.get(caller.keyId);
      if (client === undefined) {
        // An admin is unscoped (sees every request); every other key is the owner of what it starts.
        const owner = caller.admin ? undefined : caller.keyId;
        client = createClient({ connect: () => host.openStream({ trust: "remote", owner }) });
        clients.set(caller.keyId, client);
      }
      return client;
    },
    models,
    host,
    close,
  };
}

/** REIN_THREADS, else half the cores (at least one), as for a local client. */
function defaultThreads(): number {
  const fromEnvironment = Number(process.env.REIN_THREADS);
  if (Number.isInteger(fromEnvironment) && fromEnvironment >= 1) return fromEnvironment;
  return Math.max(1, Math.floor(os.availableParallelism() / 2));
}
