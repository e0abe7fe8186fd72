import { embedInputSchema, type EmbedResult } from "@rein/protocol";
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
    for (const text of texts) {
      if (context.signal.aborted) break;
      const embedding = await embeddingContext.getEmbeddingFor(text);
      vectors.push([...embedding.vector]);
    }
    return { vectors, dimension: vectors[0]?.length ?? 0 };
  },
});
