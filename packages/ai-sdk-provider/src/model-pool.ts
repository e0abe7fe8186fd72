import { ReinClient, WorkerShutdownError, type ClientOptions, type DecoratedPromise, type ModelConfig } from "@rein/sdk";
import { abortError } from "./error-mapping.ts";

/** What identifies a loaded model: the same source, config and checksum give the same Rein model. */
export interface ModelLoadSettings {
  /** Options of the native model and its context (`ctx_size`, `parallel`, `threads`, `prefill_chunk_size`...). */
  modelConfig?: ModelConfig;
  /** Expected sha256 of the model file, checked before it loads. */
  sha256?: string;
}

interface PoolEntry {
  load: DecoratedPromise<string>;
  modelId: string | undefined;
  /** The worker the model was loaded in: a model dies with its worker. */
  workerPid: number | undefined;
  /** Calls waiting for the load; when every one of them is aborted, the load is cancelled. */
  waiters: number;
}

/**
 * The provider's models and its client. Each distinct source + settings is loaded once, on first use,
 * and held by one Rein reference (the worker counts references: a model the app or another provider
 * also loaded stays loaded until its last holder lets go). `close()` releases this provider's
 * references, then closes the client if the provider made it.
 */
export class ModelPool {
  readonly #entries = new Map<string, PoolEntry>();
  readonly #clientOptions: ClientOptions;
  readonly #ownsClient: boolean;
  #client: ReinClient | undefined;
  #closed = false;

  constructor(options: { client?: ReinClient; clientOptions?: ClientOptions }) {
    this.#client = options.client;
    this.#ownsClient = options.client === undefined;
    this.#clientOptions = options.clientOptions ?? {};
  }

  /** The client, created on first use when none was given (nothing starts before a call). */
  get client(): ReinClient {
    this.#client ??= new ReinClient(this.#clientOptions);
    return this.#client;
  }

  /**
   * The Rein modelId for `modelSrc` with `settings`, loading it if needed. Concurrent first calls share
   * one load. An abort rejects this call at once with an AbortError; the load itself is cancelled only
   * when no other call still waits for it. A failed load is forgotten, so the next call tries again.
   *
   * @example
   * ```ts
   * const modelId = await pool.acquire("./model.gguf", { modelConfig: { ctx_size: 4096 } }, abortSignal);
   * ```
   */
  async acquire(modelSrc: string, settings: ModelLoadSettings, signal?: AbortSignal): Promise<string> {
    if (this.#closed) throw new WorkerShutdownError({ message: "The Rein provider was closed" });
    if (signal?.aborted) throw abortError(signal);
    const key = JSON.stringify([modelSrc, sortedConfig(settings.modelConfig), settings.sha256 ?? null]);
    let entry = this.#entries.get(key);
    // After a crash the next call starts a fresh worker without the model: load it again there.
    if (entry?.modelId !== undefined && entry.workerPid !== this.client.workerPid) {
      this.#forget(key, entry);
      entry = undefined;
    }
    if (entry?.modelId !== undefined) return entry.modelId;
    if (!entry) {
      const load = this.client.loadModel({ modelSrc, ...(settings.modelConfig ? { modelConfig: settings.modelConfig } : {}), ...(settings.sha256 ? { sha256: settings.sha256 } : {}) });
      const created: PoolEntry = { load, modelId: undefined, workerPid: undefined, waiters: 0 };
      entry = created;
      this.#entries.set(key, created);
      load.then(
        (modelId) => {
          created.modelId = modelId;
          created.workerPid = this.client.workerPid;
        },
        () => this.#forget(key, created),
      );
    }
    const waiting = entry;
    waiting.waiters += 1;
    try {
      return await untilAborted(waiting.load, signal);
    } finally {
      waiting.waiters -= 1;
      if (signal?.aborted && waiting.waiters === 0 && waiting.modelId === undefined) {
        this.#forget(key, waiting);
        void waiting.load.cancel().catch(() => undefined);
        // A cancel that comes after the load finished leaves a reference no one holds: give it back.
        const client = this.client;
        waiting.load.then((modelId) => client.unloadModel({ modelId }), () => undefined).catch(() => undefined);
      }
    }
  }

  /**
   * Releases this provider's model references (cancelling loads under way), then its own client.
   *
   * @example
   * ```ts
   * await pool.close(); // later acquire() calls reject with WorkerShutdownError
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    if (!this.#client) return;
    if (this.#ownsClient) {
      await this.#client.close();
      return;
    }
    const client = this.#client;
    await Promise.allSettled(
      entries.map(async (entry) => {
        if (entry.modelId === undefined) await entry.load.cancel();
        const modelId = await entry.load.catch(() => undefined);
        if (modelId !== undefined) await client.unloadModel({ modelId });
      }),
    );
  }

  #forget(key: string, entry: PoolEntry): void {
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
  }
}

/** Config keys in one order, so `{ a, b }` and `{ b, a }` name the same model. */
function sortedConfig(config: ModelConfig | undefined): [string, unknown][] | null {
  return config ? Object.entries(config).sort(([left], [right]) => left.localeCompare(right)) : null;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener("abort", onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener("abort", onAbort), reject(error)),
    );
  });
}
