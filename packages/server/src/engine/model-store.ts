import { open } from "node:fs/promises";
import { InvalidInputError, ModelLoadFailedError, ModelNotFoundError, ModelNotLoadedError } from "@rein/protocol";
import { getLlamaRuntime } from "./llama-runtime.ts";
import { LoadedModel } from "./loaded-model.ts";
import { chatWrappers, type ModelFileIdentity } from "./chat-wrapper-cache.ts";
import { ChatWrapperChoiceStore } from "./chat-wrapper-choice-store.ts";
import { ChatWrapperThread } from "./chat-wrapper-thread.ts";
import type { ResolvedModelConfig } from "./model-config.ts";
import type { WorkerLogLevel } from "../worker-services.ts";

export interface AcquireModelOptions {
  modelId: string;
  modelSrc: string;
  modelPath: string;
  config: ResolvedModelConfig;
  signal: AbortSignal;
  /** Native load progress, 0..1. */
  onProgress?: (fraction: number) => void;
  /** The load's log lines (the worker's log). */
  log?: (level: WorkerLogLevel, message: string, data?: Record<string, unknown>) => void;
  /** The worker's cache dir: chat-template choices of model files are kept there for later workers. */
  cacheDir?: string;
}

interface PendingLoad {
  promise: Promise<LoadedModel>;
  subscribers: number;
  controller: AbortController;
  progressListeners: Set<(fraction: number) => void>;
}

/**
 * The models in memory, by id, reference-counted. Two loads of the same id
 * share one native load; the load aborts (node-llama-cpp `loadSignal`) only
 * when every caller waiting on it cancelled, and a load that completes after
 * its last caller left is freed at once: no orphan models.
 */
export class ModelStore {
  readonly #loaded = new Map<string, LoadedModel>();
  readonly #pending = new Map<string, PendingLoad>();

  get(modelId: string): LoadedModel | undefined {
    return this.#loaded.get(modelId);
  }

  require(modelId: string): LoadedModel {
    const model = this.#loaded.get(modelId);
    if (!model) throw new ModelNotLoadedError({ modelId });
    return model;
  }

  list(): LoadedModel[] {
    return [...this.#loaded.values()];
  }

  get loadingCount(): number {
    return this.#pending.size;
  }

  /** Returns the loaded model with one more reference, loading it first when needed. */
  async acquire(options: AcquireModelOptions): Promise<LoadedModel> {
    options.signal.throwIfAborted();
    const loaded = this.#loaded.get(options.modelId);
    if (loaded) {
      loaded.references += 1;
      return loaded;
    }
    let pending = this.#pending.get(options.modelId);
    // A load whose every caller left is being aborted: joining it would hand this caller their cancel reason.
    if (!pending || pending.controller.signal.aborted) {
      pending = this.#startLoad(options);
      this.#pending.set(options.modelId, pending);
    }
    return this.#join(pending, options);
  }

  /**
   * Drops one reference. At the last one the model leaves the table at once (new
   * requests get ModelNotLoadedError) and is returned so the caller can cancel its
   * requests, wait for their cleanup, and only then `dispose()` it.
   */
  release(modelId: string): { model: LoadedModel; freed: boolean } {
    const model = this.require(modelId);
    model.references -= 1;
    if (model.references > 0) return { model, freed: false };
    this.#loaded.delete(modelId);
    return { model, freed: true };
  }

  /** Removes every model from the table (shutdown); the caller disposes them after draining. */
  takeAll(): LoadedModel[] {
    const models = [...this.#loaded.values()];
    this.#loaded.clear();
    for (const pending of this.#pending.values()) pending.controller.abort(new Error("shutdown"));
    return models;
  }

  #join(pending: PendingLoad, options: AcquireModelOptions): Promise<LoadedModel> {
    pending.subscribers += 1;
    const { signal, onProgress } = options;
    if (onProgress) pending.progressListeners.add(onProgress);
    return new Promise<LoadedModel>((resolve, reject) => {
      const leave = () => {
        signal.removeEventListener("abort", onAbort);
        if (onProgress) pending.progressListeners.delete(onProgress);
      };
      const onAbort = () => {
        leave();
        pending.subscribers -= 1;
        if (pending.subscribers === 0) pending.controller.abort(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      pending.promise.then(
        (model) => {
          leave();
          model.references += 1;
          resolve(model);
        },
        (error: unknown) => {
          leave();
          reject(signal.aborted ? signal.reason : error);
        },
      );
    });
  }

  #startLoad(options: AcquireModelOptions): PendingLoad {
    const controller = new AbortController();
    const pending: PendingLoad = { promise: undefined as never, subscribers: 0, controller, progressListeners: new Set() };
    const reportProgress = (fraction: number) => {
      for (const listener of pending.progressListeners) listener(fraction);
    };
    const forget = () => {
      // A newer load of the same id may have replaced this one (see acquire): leave that one in place.
      if (this.#pending.get(options.modelId) === pending) this.#pending.delete(options.modelId);
    };
    pending.promise = loadNative(options, controller.signal, reportProgress).then(
      async (model) => {
        forget();
        if (pending.subscribers === 0) {
          // Everyone cancelled while the last native step was finishing: free it now.
          await model.dispose();
          throw controller.signal.reason ?? new Error("load abandoned");
        }
        model.references = 0;
        this.#loaded.set(options.modelId, model);
        return model;
      },
      (error: unknown) => {
        forget();
        throw error;
      },
    );
    // Subscribers handle the rejection; this keeps an abandoned load from being "unhandled".
    pending.promise.catch(() => undefined);
    return pending;
  }
}

/** Checks that the file is a GGUF model; returns what identifies its content for the chat-wrapper cache. */
async function assertGgufFile(modelPath: string, modelSrc: string): Promise<ModelFileIdentity> {
  let handle;
  try {
    handle = await open(modelPath, "r");
  } catch (error) {
    throw new ModelNotFoundError({ modelSrc, cause: error });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ModelNotFoundError({ modelSrc, message: `Model path is not a file: ${modelSrc}` });
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    // The content decides, never the file name: a GGUF called model.bin loads, a text file called x.gguf does not.
    if (magic.toString("latin1") !== "GGUF") {
      throw new InvalidInputError({ field: "modelSrc", operation: "loadModel", reason: `${modelSrc} is not a GGUF model file (it does not start with the bytes "GGUF")` });
    }
    return { path: modelPath, size: stat.size, modifiedMs: stat.mtimeMs };
  } finally {
    await handle.close();
  }
}

async function loadNative(
  options: AcquireModelOptions,
  signal: AbortSignal,
  onProgress: (fraction: number) => void,
): Promise<LoadedModel> {
  const file = await assertGgufFile(options.modelPath, options.modelSrc);
  // A file whose chat template is not resolved yet resolves it in a thread: started now, it imports
  // node-llama-cpp while the model loads. Ended here if the load never got to use it (failed, cancelled, or
  // another load of the file resolved first); once used, the resolution owns it (see ChatWrapperThread).
  const persisted = options.cacheDir === undefined ? undefined : ChatWrapperChoiceStore.at(options.cacheDir);
  const thread = chatWrappers.knows(file, persisted) ? undefined : startChatWrapperThread();
  try {
    return await loadNativeModel(options, signal, onProgress, file, thread, persisted);
  } finally {
    thread?.closeIfUnused();
  }
}

/** A thread that cannot start now is no reason to fail the load: the resolution tries again, or resolves here. */
function startChatWrapperThread(): ChatWrapperThread | undefined {
  try {
    return ChatWrapperThread.start();
  } catch {
    return undefined;
  }
}

async function loadNativeModel(
  options: AcquireModelOptions,
  signal: AbortSignal,
  onProgress: (fraction: number) => void,
  file: ModelFileIdentity,
  thread: ChatWrapperThread | undefined,
  persisted: ChatWrapperChoiceStore | undefined,
): Promise<LoadedModel> {
  const llama = await getLlamaRuntime();
  signal.throwIfAborted();
  const { config } = options;
  let model;
  try {
    model = await llama.loadModel({
      modelPath: options.modelPath,
      gpuLayers: config.gpuLayers === "auto" ? "auto" : config.gpuLayers,
      loadSignal: signal,
      onLoadProgress: onProgress,
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new ModelLoadFailedError({ modelSrc: options.modelSrc, cause: error, message: `Could not load model ${options.modelSrc}: ${String(error)}` });
  }
  try {
    signal.throwIfAborted();
    const context = await model.createContext({
      contextSize: config.ctxSize,
      sequences: config.parallel,
      threads: config.threads,
      batchSize: config.batchSize,
      createSignal: signal,
    });
    const loaded = new LoadedModel({ ...options, model, context, file });
    try {
      // The chat template now (in a thread, once per file): the reply to loadModel means the model is ready.
      await loaded.prepareChatWrapper({
        signal,
        thread,
        persisted,
        onResolving: () => options.log?.("debug", `${options.modelSrc}: resolving its chat template in a worker thread (first load of this file)`, { modelId: options.modelId }),
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ModelLoadFailedError({ modelSrc: options.modelSrc, cause: error, message: `Could not resolve the chat template of ${options.modelSrc}: ${String(error)}` });
    }
    return loaded;
  } catch (error) {
    await model.dispose();
    if (signal.aborted) throw signal.reason;
    if (ModelLoadFailedError.isInstance(error)) throw error;
    throw new ModelLoadFailedError({ modelSrc: options.modelSrc, cause: error, message: `Could not create a context for ${options.modelSrc}: ${String(error)}` });
  }
}
