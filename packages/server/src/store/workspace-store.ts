import type { RagSearchHit } from "@rein/protocol";

/** One chunk on its way into a workspace (staged first, written by the commit). */
export interface StagedChunk {
  documentId: string;
  chunkIndex: number;
  text: string;
  embedding: number[];
}

export interface StagedDocument {
  id: string;
  metadata: Record<string, string | number | boolean | null>;
}

export interface StoreSearch {
  embedding: number[];
  topK: number;
  documentIds?: string[];
  metadata?: Record<string, string | number | boolean | null>;
  /** Scan every row even when an index exists. */
  exact: boolean;
}

/**
 * One workspace's database, as the ops see it. Writes go through a staging table and one commit, so a
 * call that stops before `commitIngest` / `commitReindex` leaves the workspace as it was: the staging
 * table is a temporary table (gone with the session, also after a SIGKILL) and the commit is one
 * transaction. Implemented by `StoreThread` (PGlite off the main thread); a `pg` connection to a real
 * PostgreSQL with pgvector can implement it with the same `WorkspaceDatabase` (see docs/rag.md).
 */
export interface WorkspaceStore {
  info(): Promise<{ documents: number; chunks: number; dimension: number | null; modelId: string | null; indexed: boolean }>;
  /** The stored vectors' dimension, null before the first write (one lookup: searches ask it every time). */
  dimension(): Promise<number | null>;
  beginStaging(stagingId: string, dimension: number): Promise<void>;
  stageChunks(stagingId: string, chunks: StagedChunk[]): Promise<void>;
  /** Replaces the given documents (and their chunks) with the staged chunks, in one transaction. */
  commitIngest(options: { stagingId: string; documents: StagedDocument[]; dimension: number; modelId: string | null }): Promise<{ chunks: number }>;
  dropStaging(stagingId: string): Promise<void>;
  /** Chunks in id order after `afterId`, for a reindex. */
  chunkPage(afterId: string | null, limit: number): Promise<{ id: string; text: string }[]>;
  beginReindexStaging(stagingId: string, dimension: number): Promise<void>;
  stageReindex(stagingId: string, rows: { id: string; embedding: number[] }[]): Promise<void>;
  /** Swaps every chunk's vector for the staged one, in one transaction; fails when a chunk has none. */
  commitReindex(options: { stagingId: string; dimension: number; modelId: string }): Promise<{ chunks: number }>;
  search(search: StoreSearch): Promise<RagSearchHit[]>;
  deleteDocuments(documentIds: string[]): Promise<{ documents: number; chunks: number }>;
  /** Builds the HNSW index once the workspace holds at least `threshold` chunks; true when one exists afterwards. */
  ensureIndex(threshold: number): Promise<boolean>;
  close(): Promise<void>;
}
