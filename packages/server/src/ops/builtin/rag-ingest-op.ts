import { EmbeddingDimensionMismatchError, ragIngestInputSchema, type RagIngestResult } from "@rein/protocol";
import { chunkText, DEFAULT_CHUNKING, type StagedChunk } from "../../store/index.ts";
import { defineOp } from "../define-op.ts";
import { addMetric, batchesOf, DEFAULT_RAG_BATCH_SIZE, embeddingDimensionOf, embedTexts, measuringEventLoop, stagingIdOf } from "./rag-support.ts";
import { randomUuid } from "../../startup/lazy-crypto.ts";

/**
 * Chunks documents, embeds the chunks with a loaded model and writes them to a workspace (made on first use).
 * Each batch is embedded, then staged in a temporary table; only the last step, one transaction, writes the
 * workspace. So a cancel, a deadline or a failure before it (and a SIGKILL at any point) leaves the workspace
 * exactly as it was. Hard cancel: the caller is answered once the text in flight was embedded and the staging
 * table dropped. A document given again by id replaces the old one.
 */
export const ragIngestOp = defineOp({
  name: "ragIngest",
  kind: "rag",
  input: ragIngestInputSchema,
  model: "required",
  cancel: "hard",
  admission: (input) => ({ workspace: input.workspace }),
  async run(context, input): Promise<RagIngestResult> {
    const model = context.model!;
    const { workspaces } = context.services;
    const documents = input.documents.map((document) => ({ id: document.id ?? randomUuid(), metadata: document.metadata ?? {}, text: document.text }));
    const chunks = documents.flatMap((document) =>
      chunkText(document.text, input.chunking ?? DEFAULT_CHUNKING).map((text, chunkIndex) => ({ documentId: document.id, chunkIndex, text })),
    );
    const dimension = embeddingDimensionOf(model);
    return measuringEventLoop(context, () =>
      workspaces.withWriteTurn(input.workspace, context.signal, async () => {
        const store = await workspaces.open(input.workspace, { create: true, signal: context.signal });
        const stored = await store.dimension();
        if (stored !== null && stored !== dimension) {
          throw new EmbeddingDimensionMismatchError({ workspace: input.workspace, field: "modelId", expected: stored, actual: dimension });
        }
        const stagingId = stagingIdOf(context.requestId);
        await store.beginStaging(stagingId, dimension);
        let written: number | undefined;
        try {
          let done = 0;
          for (const batch of batchesOf(chunks, input.batchSize ?? DEFAULT_RAG_BATCH_SIZE)) {
            const embedStart = performance.now();
            const vectors = await embedTexts(context, model, batch.map((chunk) => chunk.text));
            const stageStart = performance.now();
            await store.stageChunks(stagingId, batch.map((chunk, index): StagedChunk => ({ ...chunk, embedding: vectors[index]! })));
            addMetric(context, "rag.embedMs", stageStart - embedStart);
            addMetric(context, "rag.storeMs", performance.now() - stageStart);
            done += batch.length;
            context.progress({ phase: "embed", loaded: done, total: chunks.length, bytesPerSecond: null, done: done === chunks.length });
          }
          context.signal.throwIfAborted();
          const commitStart = performance.now();
          // From here on the call completes: the commit is one transaction, and a cancel that arrives during it loses the race.
          written = (await store.commitIngest({ stagingId, documents: documents.map(({ id, metadata }) => ({ id, metadata })), dimension, modelId: model.modelId })).chunks;
          addMetric(context, "rag.storeMs", performance.now() - commitStart);
          addMetric(context, "rag.chunksWritten", written);
        } finally {
          if (written === undefined) await store.dropStaging(stagingId).catch(() => undefined);
        }
        await store.ensureIndex(workspaces.hnswThreshold);
        return { workspace: input.workspace, documents: documents.length, chunks: written, dimension, documentIds: documents.map((document) => document.id) };
      }),
    );
  },
});
