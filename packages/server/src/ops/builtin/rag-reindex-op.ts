import { ragReindexInputSchema, type RagReindexResult } from "@rein/protocol";
import { defineOp } from "../define-op.ts";
import { addMetric, DEFAULT_RAG_BATCH_SIZE, embeddingDimensionOf, embedTexts, measuringEventLoop, stagingIdOf } from "./rag-support.ts";

/**
 * Re-embeds every chunk of a workspace with another model (its dimension may differ). The new vectors are
 * staged, then swapped in by one transaction (column, index and metadata together): a cancel, a deadline or
 * a failure before it leaves the old vectors and model in place. Other writes wait; searches keep seeing
 * the old vectors until the swap.
 */
export const ragReindexOp = defineOp({
  name: "ragReindex",
  kind: "rag",
  input: ragReindexInputSchema,
  model: "required",
  cancel: "hard",
  admission: (input) => ({ workspace: input.workspace }),
  async run(context, input): Promise<RagReindexResult> {
    const model = context.model!;
    const { workspaces } = context.services;
    const dimension = embeddingDimensionOf(model);
    const batchSize = input.batchSize ?? DEFAULT_RAG_BATCH_SIZE;
    return measuringEventLoop(context, () =>
      workspaces.withWriteTurn(input.workspace, context.signal, async () => {
        const store = await workspaces.open(input.workspace, { create: false, signal: context.signal });
        const total = (await store.info()).chunks;
        const stagingId = stagingIdOf(context.requestId);
        await store.beginReindexStaging(stagingId, dimension);
        let written: number | undefined;
        try {
          let done = 0;
          let afterId: string | null = null;
          for (;;) {
            context.signal.throwIfAborted();
            const page = await store.chunkPage(afterId, batchSize);
            if (page.length === 0) break;
            const vectors = await embedTexts(context, model, page.map((chunk) => chunk.text));
            await store.stageReindex(stagingId, page.map((chunk, index) => ({ id: chunk.id, embedding: vectors[index]! })));
            done += page.length;
            afterId = page.at(-1)!.id;
            context.progress({ phase: "embed", loaded: done, total, bytesPerSecond: null, done: done === total });
          }
          context.signal.throwIfAborted();
          written = (await store.commitReindex({ stagingId, dimension, modelId: model.modelId })).chunks;
          addMetric(context, "rag.chunksReindexed", written);
        } finally {
          if (written === undefined) await store.dropStaging(stagingId).catch(() => undefined);
        }
        await store.ensureIndex(workspaces.hnswThreshold);
        return { workspace: input.workspace, chunks: written, dimension, modelId: model.modelId };
      }),
    );
  },
});
