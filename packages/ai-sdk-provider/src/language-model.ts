import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4Content, LanguageModelV4GenerateResult, LanguageModelV4StreamResult } from "@ai-sdk/provider";
import { toCompletionInput, type ReinCallSettings } from "./call-options.ts";
import { toProviderError, type ReinCallContext } from "./error-mapping.ts";
import { reinMetadata, toFinishReason, toUsage } from "./finish-mapping.ts";
import type { ModelLoadSettings, ModelPool } from "./model-pool.ts";
import { toStreamParts } from "./stream-mapping.ts";

/** Settings of `rein(modelSrc, settings)`: how the model loads and defaults for each call. */
export interface ReinLanguageModelSettings extends ModelLoadSettings, ReinCallSettings {}

/**
 * A Rein model as an AI SDK language model (specification v4). The model loads on the first call;
 * each call is one Rein completion request whose `abortSignal` is the request's signal, so an abort
 * stops the worker within one decode step (or one prompt chunk during prefill).
 *
 * @example
 * ```ts
 * const { text } = await generateText({ model: rein("./model.gguf"), prompt: "Hello", abortSignal });
 * ```
 */
export class ReinLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = "v4";
  readonly provider = "rein";
  /** The model source (path or URL) as given. */
  readonly modelId: string;
  /** Rein models read text; no URL is passed through as is. */
  readonly supportedUrls: Record<string, RegExp[]> = {};
  readonly #settings: ReinLanguageModelSettings;
  readonly #pool: ModelPool;

  constructor(modelSrc: string, settings: ReinLanguageModelSettings, pool: ModelPool) {
    this.modelId = modelSrc;
    this.#settings = settings;
    this.#pool = pool;
  }

  /**
   * One Rein completion, awaited whole: reasoning, text and tool-call content, usage and finish reason.
   * `ai` calls it for `generateText` / `generateObject`.
   *
   * @example
   * ```ts
   * const { content, finishReason } = await model.doGenerate({ prompt: [{ role: "user", content: [{ type: "text", text: "Hi" }] }] });
   * ```
   */
  async doGenerate(options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const { run, warnings, context } = await this.#start(options);
    let final;
    try {
      final = await run.final;
    } catch (error) {
      throw toProviderError(error, context);
    }
    const content: LanguageModelV4Content[] = [];
    if (final.thinkingText.length > 0) content.push({ type: "reasoning", text: final.thinkingText });
    if (final.contentText.length > 0) content.push({ type: "text", text: final.contentText });
    for (const call of final.toolCalls) content.push({ type: "tool-call", toolCallId: call.id, toolName: call.name, input: JSON.stringify(call.arguments ?? {}) });
    return {
      content,
      finishReason: toFinishReason(final.stopReason),
      usage: toUsage(final.stats),
      providerMetadata: reinMetadata(run.requestId, final.stopReason, final.stats),
      request: { body: context.requestBodyValues },
      response: { id: run.requestId, modelId: this.modelId, timestamp: new Date() },
      warnings,
    };
  }

  /**
   * One Rein completion as a stream of the specification's parts (see `toStreamParts`). `ai` calls it for
   * `streamText` / `streamObject`; cancelling the stream cancels the request.
   *
   * @example
   * ```ts
   * const { stream } = await model.doStream({ prompt, abortSignal });
   * ```
   */
  async doStream(options: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    const { run, warnings, context } = await this.#start(options);
    return {
      stream: toStreamParts(run, { warnings, modelId: this.modelId, includeRawChunks: options.includeRawChunks, context }),
      request: { body: context.requestBodyValues },
    };
  }

  async #start(options: LanguageModelV4CallOptions) {
    const { input, warnings } = toCompletionInput(options, this.#settings);
    const context: ReinCallContext = { url: `rein://completion/${this.modelId}`, requestBodyValues: input, abortSignal: options.abortSignal };
    let modelId: string;
    try {
      modelId = await this.#pool.acquire(this.modelId, this.#settings, options.abortSignal);
    } catch (error) {
      throw toProviderError(error, context);
    }
    const run = this.#pool.client.completion({ ...input, modelId, ...(options.abortSignal ? { signal: options.abortSignal } : {}) });
    context.requestBodyValues = { ...input, modelId, requestId: run.requestId };
    return { run, warnings, context };
  }
}
