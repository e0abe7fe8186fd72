import { EmbeddingDimensionMismatchError, ragSearchInputSchema, type RagSearchHit } from "@rein/protocol";
import { defineOp } from "../define-op.ts";
import { embeddingDimensionOf, embedTexts } from "./rag-support.ts";

/** Results when the caller gives no `topK`. */
export const DEFAULT_TOP_K = 5;

/**
 * The `topK` chunks nearest to a query (embedded with `modelId`) or to a given `embedding`, best first, with
 * their document id, text, metadata and cosine score. Exact (a full scan) while the workspace has no HNSW
 * index, with `exact: true`, and with a filter; otherwise through the index. Stable: equal scores are ordered
 * by chunk id, and the same query on the same workspace gives the same ids and scores.
 */
export const ragSearchOp = defineOp({
  name: "ragSearch",
  kind: "rag",
  input: ragSearchInputSchema,
  model: "none",
  cancel: "hard",
  // Filed under the model it embeds with, so `cancel({ modelId })` and an unload reach it too.
  admission: (input) => ({ workspace: input.workspace, modelId: input.modelId }),
  async run(context, input): Promise<RagSearchHit[]> {
    const { workspaces, models } = context.services;
    const model = input.embedding === undefined ? models.require(input.modelId!) : undefined;
    const store = await workspaces.open(input.workspace, { create: false, signal: context.signal });
    const stored = await store.dimension();
    const given = model === undefined ? input.embedding!.length : embeddingDimensionOf(model);
    if (stored !== null && stored !== given) {
      throw new EmbeddingDimensionMismatchError({ workspace: input.workspace, field: model === undefined ? "embedding" : "modelId", expected: stored, actual: given });
    }
    const embedding = model === undefined ? input.embedding! : (await embedTexts(context, model, [input.query!]))[0]!;
    context.signal.throwIfAborted();
    return store.search({
      embedding,
      topK: input.topK ?? DEFAULT_TOP_K,
      documentIds: input.filter?.documentIds,
      metadata: input.filter?.metadata,
      exact: input.exact ?? false,
    });
  },
});
