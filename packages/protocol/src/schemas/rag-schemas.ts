import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";
import { modelIdSchema } from "./common.ts";

/**
 * A workspace name is also its directory name under the cache: letters, digits, `_ . -`, starting with a
 * letter or digit, so it can never climb out of the cache (`..`, `/`) or collide by case on a careless
 * file system in a surprising way.
 */
export const workspaceNameSchema = lazySchema(() =>
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, "must be 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit"),
);

const identifierSchema = lazySchema(() => z.string().min(1, "must not be empty").max(256, "is longer than 256 characters"));

/** Text that holds something to embed: an empty or blank document would become a chunk of nothing. */
const nonBlankText = (limit: number) =>
  z
    .string()
    .max(limit, `is longer than ${groupThousands(limit)} characters`)
    .refine((value) => value.trim().length > 0, { message: "must contain text (it is empty or only whitespace)" });

// Not toLocaleString: its first call loads ICU's number formatting, ~30 ms of every worker start (these schemas are
// built when the worker loads).
function groupThousands(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Flat metadata: scalars only, so a filter is a plain equality per key (`metadata @> filter` in SQL). */
export const ragMetadataSchema = lazySchema(() => z.record(z.string().min(1, "keys must not be empty"), z.union([z.string(), z.number().finite(), z.boolean(), z.null()], { message: "must be a string, number, boolean or null" })));

export const ragChunkingSchema = lazySchema(() =>
  z
    .object({
      /** Characters per chunk. */
      size: z.number().int("must be a whole number of characters").min(16, "must be at least 16 characters").max(100_000, "must be at most 100,000 characters"),
      /** Characters repeated from the end of one chunk at the start of the next. */
      overlap: z.number().int("must be a whole number of characters").min(0, "must not be negative").default(0),
    })
    .strict()
    .superRefine((value, context) => {
      if (value.overlap >= value.size) context.addIssue({ code: "custom", path: ["overlap"], message: `must be smaller than size (${value.size})` });
    }),
);

/** Reports the first repeated id of a list, at its index: ids are primary keys, a repeat would overwrite silently. */
function uniqueIds<T extends { id?: string | undefined }>(items: readonly T[], context: z.RefinementCtx, field: string): void {
  const seen = new Set<string>();
  for (const [index, item] of items.entries()) {
    if (item.id === undefined) continue;
    if (seen.has(item.id)) {
      context.addIssue({ code: "custom", path: [field, index, "id"], message: `repeats the id "${item.id}" of an earlier entry` });
      return;
    }
    seen.add(item.id);
  }
}

export const ragDocumentSchema = lazySchema(() =>
  z
    .object({ id: identifierSchema.optional(), text: nonBlankText(10_000_000), metadata: ragMetadataSchema.optional() })
    .strict(),
);

export const ragIngestInputSchema = lazySchema(() =>
  z
    .object({
      workspace: workspaceNameSchema,
      modelId: modelIdSchema,
      documents: z.array(ragDocumentSchema).min(1, "must hold at least one document").max(100_000, "must hold at most 100,000 documents"),
      chunking: ragChunkingSchema.optional(),
      /** Chunks embedded and staged per step; progress is reported and cancel is checked between steps. */
      batchSize: z.number().int("must be a whole number").min(1, "must be at least 1").max(1_024, "must be at most 1,024").optional(),
    })
    .strict()
    .superRefine((value, context) => uniqueIds(value.documents, context, "documents")),
);

const embeddingSchema = lazySchema(() =>
  z
    .array(z.number().finite("must hold finite numbers"))
    .min(1, "must hold at least one number")
    .max(16_000, "must hold at most 16,000 numbers (pgvector's limit)"),
);

export const ragSaveEmbeddingsInputSchema = lazySchema(() =>
  z
    .object({
      workspace: workspaceNameSchema,
      items: z
        .array(z.object({ id: identifierSchema, text: nonBlankText(10_000_000), embedding: embeddingSchema, metadata: ragMetadataSchema.optional() }).strict())
        .min(1, "must hold at least one item")
        .max(100_000, "must hold at most 100,000 items"),
    })
    .strict()
    .superRefine((value, context) => {
      uniqueIds(value.items, context, "items");
      const dimension = value.items[0]?.embedding.length ?? 0;
      const odd = value.items.findIndex((item) => item.embedding.length !== dimension);
      if (odd > 0) context.addIssue({ code: "custom", path: ["items", odd, "embedding"], message: `has ${value.items[odd]!.embedding.length} numbers, item 0 has ${dimension}` });
    }),
);

export const ragFilterSchema = lazySchema(() =>
  z
    .object({
      /** Only chunks of these documents. */
      documentIds: z.array(identifierSchema).min(1, "must hold at least one id").max(10_000, "must hold at most 10,000 ids").optional(),
      /** Only chunks whose document metadata has every one of these key/value pairs. */
      metadata: ragMetadataSchema.optional(),
    })
    .strict(),
);

export const ragSearchInputSchema = lazySchema(() =>
  z
    .object({
      workspace: workspaceNameSchema,
      /** Embeds `query` with this model; give `embedding` instead for vectors made elsewhere. */
      modelId: modelIdSchema.optional(),
      query: nonBlankText(1_000_000).optional(),
      embedding: embeddingSchema.optional(),
      topK: z.number().int("must be a whole number").min(1, "must be at least 1").max(1_000, "must be at most 1,000").optional(),
      filter: ragFilterSchema.optional(),
      /** Exact scan even when the workspace has an HNSW index (slower, recall 1). */
      exact: z.boolean().optional(),
    })
    .strict()
    .superRefine((value, context) => {
      if (value.embedding !== undefined) {
        if (value.query !== undefined) context.addIssue({ code: "custom", path: ["query"], message: "cannot be combined with embedding (give one)" });
        return;
      }
      if (value.query === undefined) context.addIssue({ code: "custom", path: ["query"], message: "is required (or give embedding)" });
      else if (value.modelId === undefined) context.addIssue({ code: "custom", path: ["modelId"], message: "is required to embed the query" });
    }),
);

export const ragReindexInputSchema = lazySchema(() =>
  z
    .object({
      workspace: workspaceNameSchema,
      modelId: modelIdSchema,
      batchSize: z.number().int("must be a whole number").min(1, "must be at least 1").max(1_024, "must be at most 1,024").optional(),
    })
    .strict(),
);

export const ragDeleteDocumentsInputSchema = lazySchema(() =>
  z
    .object({ workspace: workspaceNameSchema, documentIds: z.array(identifierSchema).min(1, "must hold at least one id").max(100_000, "must hold at most 100,000 ids") })
    .strict(),
);

export const ragListWorkspacesInputSchema = lazySchema(() => z.object({}).strict());

export const ragDeleteWorkspaceInputSchema = lazySchema(() => z.object({ workspace: workspaceNameSchema }).strict());

export type RagMetadata = z.infer<typeof ragMetadataSchema>;
export type RagDocument = z.input<typeof ragDocumentSchema>;
export type RagChunking = z.input<typeof ragChunkingSchema>;
export type RagFilter = z.infer<typeof ragFilterSchema>;
export type RagIngestInput = z.input<typeof ragIngestInputSchema>;
export type RagSaveEmbeddingsInput = z.input<typeof ragSaveEmbeddingsInputSchema>;
export type RagSearchInput = z.input<typeof ragSearchInputSchema>;
export type RagReindexInput = z.input<typeof ragReindexInputSchema>;
export type RagDeleteDocumentsInput = z.input<typeof ragDeleteDocumentsInputSchema>;
export type RagDeleteWorkspaceInput = z.input<typeof ragDeleteWorkspaceInputSchema>;

export interface RagIngestResult {
  workspace: string;
  /** Documents written (a document whose id existed is replaced). */
  documents: number;
  /** Chunks written. */
  chunks: number;
  dimension: number;
  /** Document ids in input order (generated for documents given without one). */
  documentIds: string[];
}

export interface RagSearchHit {
  chunkId: string;
  documentId: string;
  /** Position of the chunk in its document, from 0. */
  chunkIndex: number;
  text: string;
  /** Cosine similarity, 1 = same direction. */
  score: number;
  metadata: RagMetadata;
}

export interface RagReindexResult {
  workspace: string;
  chunks: number;
  dimension: number;
  modelId: string;
}

export interface RagDeleteDocumentsResult {
  /** Documents that existed and were deleted. */
  documents: number;
  chunks: number;
}

export interface RagWorkspaceInfo {
  workspace: string;
  /** Null when another process holds the workspace (see `lockedByPid`). */
  documents: number | null;
  chunks: number | null;
  /** Null until the first vector was written. */
  dimension: number | null;
  /** The model the vectors came from (null for ragSaveEmbeddings only). */
  modelId: string | null;
  /** True once an HNSW index exists (searches are then approximate unless `exact: true`). */
  indexed: boolean;
  /** The pid of another process that has the workspace open; its contents cannot be read from here then. */
  lockedByPid?: number;
}

export interface RagDeleteWorkspaceResult {
  workspace: string;
  deleted: true;
}
