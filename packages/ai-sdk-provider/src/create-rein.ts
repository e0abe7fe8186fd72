import { NoSuchModelError, type ProviderV4 } from "@ai-sdk/provider";
import { InvalidInputError, type ClientOptions, type ReinClient } from "@rein/sdk";
import { ReinEmbeddingModel, type ReinEmbeddingModelSettings } from "./embedding-model.ts";
import { ReinLanguageModel, type ReinLanguageModelSettings } from "./language-model.ts";
import { ModelPool } from "./model-pool.ts";

/** `createRein()` options: an existing client, or the options of the client the provider creates. */
export interface ReinProviderSettings extends ClientOptions {
  /** A client of the app's own; the provider then never closes it (only its model references). */
  client?: ReinClient;
}

/** A Rein provider: call it with a model source for a language model. */
export interface ReinProvider extends ProviderV4 {
  (modelSrc: string, settings?: ReinLanguageModelSettings): ReinLanguageModel;
  languageModel(modelSrc: string, settings?: ReinLanguageModelSettings): ReinLanguageModel;
  embedding(modelSrc: string, settings?: ReinEmbeddingModelSettings): ReinEmbeddingModel;
  embeddingModel(modelSrc: string, settings?: ReinEmbeddingModelSettings): ReinEmbeddingModel;
  /** The Rein client the models run on (created on first use when none was given). */
  readonly client: ReinClient;
  /**
   * Releases the models this provider loaded (a model the app also loaded stays loaded), cancelling
   * loads under way, and closes the client if the provider created it. Later calls reject.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates a Rein provider for the Vercel AI SDK. Models load lazily on their first call, once per
 * source + settings; `abortSignal` of every call is the Rein request's signal.
 *
 * @example
 * ```ts
 * import { generateText } from "ai";
 * import { createRein } from "@rein/ai-sdk-provider";
 *
 * await using rein = createRein({ threads: 4 });
 * const { text } = await generateText({ model: rein("./Qwen3-0.6B-Q4_K_M.gguf"), prompt: "Hi", abortSignal });
 * ```
 */
export function createRein(settings: ReinProviderSettings = {}): ReinProvider {
  const { client, ...clientOptions } = settings;
  if (client !== undefined && Object.values(clientOptions).some((value) => value !== undefined)) {
    throw new InvalidInputError({ field: Object.keys(clientOptions)[0] ?? "client", reason: "is a client option: pass either `client` or client options, not both", operation: "createRein" });
  }
  const pool = new ModelPool(client !== undefined ? { client } : { clientOptions });
  const languageModel = (modelSrc: string, modelSettings: ReinLanguageModelSettings = {}) => new ReinLanguageModel(checkedSource(modelSrc), modelSettings, pool);
  const embeddingModel = (modelSrc: string, modelSettings: ReinEmbeddingModelSettings = {}) => new ReinEmbeddingModel(checkedSource(modelSrc), modelSettings, pool);
  const provider = function (modelSrc: string, modelSettings?: ReinLanguageModelSettings) {
    if (new.target) throw new TypeError("The Rein provider is a function: call rein(modelSrc), without new.");
    return languageModel(modelSrc, modelSettings);
  } as ReinProvider;
  return Object.defineProperties(provider, {
    specificationVersion: { value: "v4" },
    languageModel: { value: languageModel },
    embedding: { value: embeddingModel },
    embeddingModel: { value: embeddingModel },
    imageModel: {
      value: (modelId: string) => {
        throw new NoSuchModelError({ modelId, modelType: "imageModel", message: "Rein runs language and embedding models; it has no image models." });
      },
    },
    client: { get: () => pool.client },
    close: { value: () => pool.close() },
    [Symbol.asyncDispose]: { value: () => pool.close() },
  });
}

/** A source the worker cannot take fails here, naming the argument, instead of at the first call. */
function checkedSource(modelSrc: unknown): string {
  if (typeof modelSrc !== "string" || modelSrc.length === 0) {
    throw new InvalidInputError({ field: "modelSrc", reason: "must be a non-empty path to a .gguf file or an http(s) URL", operation: "createRein" });
  }
  return modelSrc;
}

/**
 * The default provider: its own client, created on the first call, with default options (threads from
 * `REIN_THREADS`, else half the cores). Close it with `rein.close()` when the app is done.
 *
 * @example
 * ```ts
 * import { rein } from "@rein/ai-sdk-provider";
 * const { text } = await generateText({ model: rein("./model.gguf"), prompt: "Hi" });
 * ```
 */
export const rein: ReinProvider = createRein();
