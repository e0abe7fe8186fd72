import { EmbeddingDimensionMismatchError, ragSaveEmbeddingsInputSchema, type RagIngestResult } from "@rein/protocol";
import { defineOp } from "../define-op.ts";
import { addMetric, batchesOf, measuringEventLoop, stagingIdOf } from "./rag-support.ts";

/** Items staged per step (each is one message to the store thread). */
const SAVE_BATCH_SIZE = 512;

/**
 * Writes vectors made elsewhere: each item becomes a document of one chunk (`<id>#0`). Same guarantee as
 * `ragIngest`: staged, then one transaction; a cancel or a failure before the commit writes nothing.
 */
export const ragSaveEmbeddingsOp = defineOp({
  name: "ragSaveEmbeddings",
  kind: "rag",
  input: ragSaveEmbeddingsInputSchema,
  model: "none",
  cancel: "hard",
  admission: (input) => ({ workspace: input.workspace }),
  async run(context, input): Promise<RagIngestResult> {
    const { workspaces } = context.services;
    const dimension = input.items[0]!.embedding.length;
    return measuringEventLoop(context, () =>
      workspaces.withWriteTurn(input.workspace, context.signal, async () => {
        const store = await workspaces.open(input.workspace, { create: true, signal: context.signal });
        const stored = await store.dimension();
        if (stored !== null && stored !== dimension) {
          throw new EmbeddingDimensionMismatchError({ workspace: input.workspace, field: "items.0.embedding", expected: stored, actual: dimension });
        }
        const stagingId = stagingIdOf(context.requestId);
        await store.beginStaging(stagingId, dimension);
        let written: number | undefined;
        try {
          let done = 0;
          for (const batch of batchesOf(input.items, SAVE_BATCH_SIZE)) {
            context.signal.throwIfAborted();
            await store.stageChunks(stagingId, batch.map((item) => ({ documentId: item.id, chunkIndex: 0, text: item.text, embedding: item.embedding })));
            done += batch.length;
            context.progress({ phase: "embed", loaded: done, total: input.items.length, bytesPerSecond: null, done: done === input.items.length });
          }
          context.signal.throwIfAborted();
          written = (await store.commitIngest({ stagingId, documents: input.items.map((item) => ({ id: item.id, metadata: item.metadata ?? {} })), dimension, modelId: null })).chunks;
          addMetric(context, "rag.chunksWritten", written);
        } finally {
          if (written === undefined) await store.dropStaging(stagingId).catch(() => undefined);
        }
        await store.ensureIndex(workspaces.hnswThreshold);
        return { workspace: input.workspace, documents: input.items.length, chunks: written, dimension, documentIds: input.items.map((item) => item.id) };
      }),
    );
  },
});
