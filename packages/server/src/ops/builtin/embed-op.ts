import { ContextOverflowError, embedInputSchema, type EmbedResult } from "@rein/protocol";
import type { LlamaEmbeddingContext } from "node-llama-cpp";
import { withEmbeddingTurn } from "../../engine/embedding-turns.ts";
import type { LoadedModel } from "../../engine/loaded-model.ts";
import { defineOp } from "../define-op.ts";

/**
 * Embeddings for one text or a batch. A single native embedding call cannot be
 * interrupted, so the op is `soft`: a cancel answers the caller at once, no
 * further item of the batch is computed, and the model slot stays held until
 * the item in flight really finished.
 */
export const embedOp = defineOp({
  name: "embed",
  kind: "embeddings",
  input: embedInputSchema,
  model: "required",
  cancel: "soft",
  async run(context, input): Promise<EmbedResult> {
    const embeddingContext = await context.model!.embeddingContext();
    const texts = "texts" in input ? input.texts : [input.text];
    const vectors: number[][] = [];
    let progressSentAt = 0;
    for (const [index, text] of texts.entries()) {
      if (context.signal.aborted) break;
      const embedding = await embedOne(context.model!, embeddingContext, text, texts.length > 1 ? index : undefined);
      const { metrics } = context.services;
      metrics.set("embed.textsEmbedded", (metrics.get("embed.textsEmbedded") ?? 0) + 1);
      vectors.push([...embedding.vector]);
      const done = vectors.length === texts.length;
      // A progress frame per text would flood the pipe on large batches; 10 a second is plenty for a progress bar.
      if (texts.length > 1 && (done || performance.now() - progressSentAt >= 100)) {
        progressSentAt = performance.now();
        context.progress({ phase: "embed", loaded: vectors.length, total: texts.length, bytesPerSecond: null, done });
      }
    }
    return { vectors, dimension: vectors[0]?.length ?? 0 };
  },
});

/**
 * Embeds one text, taking its turn on the model's embedding context. node-llama-cpp's own length check is
 * reported as the same ContextOverflowError (52421) a completion gets. Shared with the RAG ops.
 *
 * @example
 * ```ts
 * const { vector } = await embedOne(model, await model.embeddingContext(), "some text", undefined);
 * ```
 */
export async function embedOne(model: LoadedModel, embeddingContext: LlamaEmbeddingContext, text: string, index: number | undefined) {
  try {
    return await withEmbeddingTurn(model, () => embeddingContext.getEmbeddingFor(text));
  } catch (error) {
    if (!(error instanceof Error) || !/longer than the (usable )?context size/i.test(error.message)) throw error;
    const promptTokens = model.model.tokenize(text).length;
    const contextSize = model.embeddingContextSize;
    const which = index === undefined ? "The text" : `Text ${index} of the batch`;
    throw new ContextOverflowError({
      promptTokens,
      contextSize,
      modelId: model.modelId,
      message: `${which} (${promptTokens} tokens) does not fit the embedding context (${contextSize} tokens) of model "${model.modelId}"`,
      cause: error,
    });
  }
}
