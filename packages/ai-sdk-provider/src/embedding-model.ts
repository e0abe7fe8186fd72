import type { EmbeddingModelV4, EmbeddingModelV4CallOptions, EmbeddingModelV4Result, SharedV4Warning } from "@ai-sdk/provider";
import { toProviderError, type ReinCallContext } from "./error-mapping.ts";
import type { ModelLoadSettings, ModelPool } from "./model-pool.ts";

/** Settings of `rein.embedding(modelSrc, settings)`. */
export interface ReinEmbeddingModelSettings extends ModelLoadSettings {
  /** A deadline for each call, queue wait included, enforced by the worker. */
  timeoutMs?: number;
}

/** What one Rein embed request accepts (the wire's limit on `texts`). */
const MAX_EMBEDDINGS_PER_CALL = 10_000;

/**
 * A Rein model as an AI SDK embedding model (specification v4). Each `doEmbed` is one Rein embed
 * request for all of its values; `abortSignal` cancels it in the worker between two texts.
 *
 * @example
 * ```ts
 * const { embeddings } = await embedMany({ model: rein.embedding("./model.gguf"), values: ["a", "b"] });
 * ```
 */
export class ReinEmbeddingModel implements EmbeddingModelV4 {
  readonly specificationVersion = "v4";
  readonly provider = "rein";
  readonly modelId: string;
  readonly maxEmbeddingsPerCall = MAX_EMBEDDINGS_PER_CALL;
  /** The worker queues or runs calls on one model by its concurrency policy. */
  readonly supportsParallelCalls = true;
  readonly #settings: ReinEmbeddingModelSettings;
  readonly #pool: ModelPool;

  constructor(modelSrc: string, settings: ReinEmbeddingModelSettings, pool: ModelPool) {
    this.modelId = modelSrc;
    this.#settings = settings;
    this.#pool = pool;
  }

  /**
   * One Rein embed request for all `values` (an empty list sends nothing).
   *
   * @example
   * ```ts
   * const { embeddings } = await model.doEmbed({ values: ["a", "b"], abortSignal });
   * ```
   */
  async doEmbed(options: EmbeddingModelV4CallOptions): Promise<EmbeddingModelV4Result> {
    const warnings: SharedV4Warning[] = [];
    if (options.dimensions !== undefined) warnings.push({ type: "unsupported", feature: "dimensions", details: "Rein returns the model's own embedding size." });
    const context: ReinCallContext = { url: `rein://embed/${this.modelId}`, requestBodyValues: { texts: options.values }, abortSignal: options.abortSignal };
    if (options.values.length === 0) return { embeddings: [], warnings };
    try {
      const modelId = await this.#pool.acquire(this.modelId, this.#settings, options.abortSignal);
      const request = this.#pool.client.embed({
        modelId,
        texts: options.values,
        ...(options.abortSignal ? { signal: options.abortSignal } : {}),
        ...(this.#settings.timeoutMs !== undefined ? { timeoutMs: this.#settings.timeoutMs } : {}),
      });
      context.requestBodyValues = { modelId, texts: options.values, requestId: request.requestId };
      const { vectors } = await request;
      return { embeddings: vectors, warnings, providerMetadata: { rein: { requestId: request.requestId } } };
    } catch (error) {
      throw toProviderError(error, context);
    }
  }
}
