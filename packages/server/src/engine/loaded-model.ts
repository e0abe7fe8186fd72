import type { ChatWrapper, LlamaContext, LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";
import { chatWrappers, type ModelFileIdentity, type WrapperForOptions } from "./chat-wrapper-cache.ts";
import { loadedEngine } from "./llama-runtime.ts";
import type { ResolvedModelConfig } from "./model-config.ts";
import { SequencePool } from "./sequence-pool.ts";

/** A model in memory with its completion context and, on first use, an embedding context. */
export class LoadedModel {
  readonly modelId: string;
  readonly modelSrc: string;
  readonly modelPath: string;
  readonly config: ResolvedModelConfig;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly sequences: SequencePool;
  references = 1;
  #embeddingContext: Promise<LlamaEmbeddingContext> | undefined;
  #chatWrapper: ChatWrapper | undefined;
  readonly #file: ModelFileIdentity | undefined;

  constructor(options: {
    modelId: string;
    modelSrc: string;
    modelPath: string;
    config: ResolvedModelConfig;
    model: LlamaModel;
    context: LlamaContext;
    /** The file's identity: a later load of the same file reuses its resolved chat wrapper. */
    file?: ModelFileIdentity;
  }) {
    this.modelId = options.modelId;
    this.modelSrc = options.modelSrc;
    this.modelPath = options.modelPath;
    this.config = options.config;
    this.model = options.model;
    this.context = options.context;
    this.#file = options.file;
    this.sequences = new SequencePool(options.context, options.config.parallel);
  }

  /**
   * Resolves the model's chat template, off the event loop and once per model file (see ChatWrapperCache):
   * resolving renders the GGUF's Jinja template against node-llama-cpp's wrappers, hundreds of milliseconds
   * of CPU. The load path awaits it, so a loaded model has its wrapper before its first completion.
   */
  async prepareChatWrapper(options: WrapperForOptions = {}): Promise<ChatWrapper> {
    this.#chatWrapper ??= await chatWrappers.wrapperFor(this.model, this.#file, options);
    return this.#chatWrapper;
  }

  /**
   * The model's chat wrapper. Resolved by prepareChatWrapper when the model loaded; for a model built some
   * other way it is resolved here, synchronously (node-llama-cpp's own resolver, blocking the event loop).
   */
  get chatWrapper(): ChatWrapper {
    this.#chatWrapper ??= loadedEngine().resolveChatWrapper(this.model);
    return this.#chatWrapper;
  }

  /** Tokens one embedded text may use (the embedding context is capped at 2,048). */
  get embeddingContextSize(): number {
    return Math.min(this.config.ctxSize, 2048);
  }

  /** Created lazily: most models are only used for completion. */
  embeddingContext(): Promise<LlamaEmbeddingContext> {
    this.#embeddingContext ??= this.model.createEmbeddingContext({
      contextSize: this.embeddingContextSize,
      threads: this.config.threads,
    });
    return this.#embeddingContext;
  }

  async dispose(): Promise<void> {
    const embedding = await this.#embeddingContext?.catch(() => undefined);
    await embedding?.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}
