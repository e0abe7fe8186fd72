import type { RagSearchHit } from "@rein/protocol";
import type { SqlSession } from "./sql-session.ts";
import type { StagedChunk, StagedDocument, StoreSearch, WorkspaceStore } from "./workspace-store.ts";

const INDEX_NAME = "rein_chunks_embedding_hnsw";

/**
 * What makes a search exact: no index scan in this transaction. An ORDER BY with a tie-break alone is not
 * enough: the planner may still read the HNSW index and sort its (approximate) output incrementally.
 */
export const EXACT_SCAN_SETTING = "SET LOCAL enable_indexscan = off";

/** Staging ids become table names: only a safe, short identifier is accepted. */
function stagingTable(stagingId: string): string {
  if (!/^[a-z0-9]{1,40}$/.test(stagingId)) throw new TypeError(`staging id "${stagingId}" must be 1-40 lowercase letters or digits`);
  return `rein_stage_${stagingId}`;
}

/**
 * Candidates an HNSW scan keeps (pgvector's default is 40). Measured on 10k random 128-dimension vectors
 * (docs/rag.md): recall@10 55% at 40, 82% at 100, 95% at 200 (on 50k: 28%, 48%, 67%), for a few ms more
 * per search. Below topK it would also cap the result at ef_search rows; pgvector allows at most 1,000.
 *
 * @example
 * ```ts
 * hnswEfSearch(5); // 200
 * ```
 */
export function hnswEfSearch(topK: number): number {
  return Math.min(1_000, Math.max(200, topK * 2));
}

/** pgvector's text form; numbers were checked finite at the boundary. */
const vectorText = (embedding: readonly number[]) => `[${embedding.join(",")}]`;

function checkDimension(dimension: number): number {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16_000) throw new TypeError(`dimension ${dimension} is not 1..16000`);
  return dimension;
}

/**
 * A workspace's tables and every statement on them: PostgreSQL + pgvector SQL only (no PGlite extras), over
 * any `SqlSession`. Tables: `rein_meta` (dimension, model), `rein_documents`, `rein_chunks` (created with
 * the first write, since a pgvector column needs its dimension for an index).
 *
 * @example
 * ```ts
 * const database = new WorkspaceDatabase(await PGlite.create({ dataDir, extensions: { vector } }));
 * await database.init();
 * const hits = await database.search({ embedding, topK: 5, exact: true });
 * ```
 */
export class WorkspaceDatabase implements Omit<WorkspaceStore, "close"> {
  readonly #session: SqlSession;

  constructor(session: SqlSession) {
    this.#session = session;
  }

  async init(): Promise<void> {
    await this.#session.exec(`
      CREATE EXTENSION IF NOT EXISTS vector;
      CREATE TABLE IF NOT EXISTS rein_meta (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE IF NOT EXISTS rein_documents (id text PRIMARY KEY, metadata jsonb NOT NULL DEFAULT '{}'::jsonb);
    `);
  }

  async #meta(key: string): Promise<string | null> {
    const { rows } = await this.#session.query<{ value: string }>("SELECT value FROM rein_meta WHERE key = $1", [key]);
    return rows[0]?.value ?? null;
  }

  async #setMeta(key: string, value: string): Promise<void> {
    await this.#session.query("INSERT INTO rein_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [key, value]);
  }

  async #hasChunksTable(): Promise<boolean> {
    const { rows } = await this.#session.query<{ present: boolean }>("SELECT to_regclass('rein_chunks') IS NOT NULL AS present");
    return rows[0]?.present === true;
  }

  async #hasIndex(): Promise<boolean> {
    const { rows } = await this.#session.query<{ present: boolean }>(`SELECT to_regclass('${INDEX_NAME}') IS NOT NULL AS present`);
    return rows[0]?.present === true;
  }

  async info(): ReturnType<WorkspaceStore["info"]> {
    const hasChunks = await this.#hasChunksTable();
    const documents = await this.#session.query<{ count: number }>("SELECT count(*)::int AS count FROM rein_documents");
    const chunks = hasChunks ? await this.#session.query<{ count: number }>("SELECT count(*)::int AS count FROM rein_chunks") : { rows: [{ count: 0 }] };
    const dimension = await this.#meta("dimension");
    return {
      documents: documents.rows[0]?.count ?? 0,
      chunks: chunks.rows[0]?.count ?? 0,
      dimension: dimension === null ? null : Number(dimension),
      modelId: await this.#meta("modelId"),
      indexed: await this.#hasIndex(),
    };
  }

  async dimension(): Promise<number | null> {
    const stored = await this.#meta("dimension");
    return stored === null ? null : Number(stored);
  }

  async beginStaging(stagingId: string, dimension: number): Promise<void> {
    // TEMP: private to this session and dropped with it, so neither a search nor a restart after a crash sees it.
    await this.#session.exec(`CREATE TEMP TABLE ${stagingTable(stagingId)} (document_id text NOT NULL, chunk_index int NOT NULL, text text NOT NULL, embedding vector(${checkDimension(dimension)}) NOT NULL)`);
  }

  async stageChunks(stagingId: string, chunks: StagedChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    await this.#session.query(`INSERT INTO ${stagingTable(stagingId)} SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]::vector[])`, [
      chunks.map((chunk) => chunk.documentId),
      chunks.map((chunk) => chunk.chunkIndex),
      chunks.map((chunk) => chunk.text),
      chunks.map((chunk) => vectorText(chunk.embedding)),
    ]);
  }

  async dropStaging(stagingId: string): Promise<void> {
    await this.#session.exec(`DROP TABLE IF EXISTS ${stagingTable(stagingId)}`);
  }

  async commitIngest(options: { stagingId: string; documents: StagedDocument[]; dimension: number; modelId: string | null }): Promise<{ chunks: number }> {
    const table = stagingTable(options.stagingId);
    const dimension = checkDimension(options.dimension);
    return this.#transaction(async () => {
      const stored = await this.#meta("dimension");
      if (stored !== null && Number(stored) !== dimension) throw new Error(`workspace stores dimension ${stored}, staged ${dimension}`);
      await this.#session.exec(`
        CREATE TABLE IF NOT EXISTS rein_chunks (
          id text PRIMARY KEY,
          document_id text NOT NULL REFERENCES rein_documents (id) ON DELETE CASCADE,
          chunk_index int NOT NULL,
          text text NOT NULL,
          embedding vector(${dimension}) NOT NULL
        );
        CREATE INDEX IF NOT EXISTS rein_chunks_document ON rein_chunks (document_id);
      `);
      await this.#setMeta("dimension", String(dimension));
      if (options.modelId !== null) await this.#setMeta("modelId", options.modelId);
      const ids = options.documents.map((document) => document.id);
      // A document given again replaces the old one: its old chunks go with it (ON DELETE CASCADE).
      await this.#session.query("DELETE FROM rein_documents WHERE id = ANY($1::text[])", [ids]);
      await this.#session.query("INSERT INTO rein_documents (id, metadata) SELECT * FROM unnest($1::text[], $2::jsonb[])", [
        ids,
        options.documents.map((document) => JSON.stringify(document.metadata)),
      ]);
      const { rows } = await this.#session.query<{ count: number }>(
        `WITH written AS (INSERT INTO rein_chunks (id, document_id, chunk_index, text, embedding)
           SELECT document_id || '#' || chunk_index, document_id, chunk_index, text, embedding FROM ${table} RETURNING 1)
         SELECT count(*)::int AS count FROM written`,
      );
      await this.#session.exec(`DROP TABLE ${table}`);
      return { chunks: rows[0]?.count ?? 0 };
    });
  }

  async chunkPage(afterId: string | null, limit: number): Promise<{ id: string; text: string }[]> {
    if (!(await this.#hasChunksTable())) return [];
    const { rows } = await this.#session.query<{ id: string; text: string }>("SELECT id, text FROM rein_chunks WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2", [afterId, limit]);
    return rows;
  }

  async beginReindexStaging(stagingId: string, dimension: number): Promise<void> {
    await this.#session.exec(`CREATE TEMP TABLE ${stagingTable(stagingId)} (id text PRIMARY KEY, embedding vector(${checkDimension(dimension)}) NOT NULL)`);
  }

  async stageReindex(stagingId: string, rows: { id: string; embedding: number[] }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#session.query(`INSERT INTO ${stagingTable(stagingId)} SELECT * FROM unnest($1::text[], $2::text[]::vector[])`, [rows.map((row) => row.id), rows.map((row) => vectorText(row.embedding))]);
  }

  async commitReindex(options: { stagingId: string; dimension: number; modelId: string }): Promise<{ chunks: number }> {
    const table = stagingTable(options.stagingId);
    const dimension = checkDimension(options.dimension);
    return this.#transaction(async () => {
      if (!(await this.#hasChunksTable())) {
        await this.#session.exec(`DROP TABLE ${table}`);
        await this.#setMeta("modelId", options.modelId);
        return { chunks: 0 };
      }
      const { rows: missing } = await this.#session.query<{ count: number }>(`SELECT count(*)::int AS count FROM rein_chunks c WHERE NOT EXISTS (SELECT 1 FROM ${table} s WHERE s.id = c.id)`);
      if ((missing[0]?.count ?? 0) > 0) throw new Error(`${missing[0]?.count} chunks have no new vector`);
      // DDL is transactional in PostgreSQL: a failure anywhere below leaves the old column and index in place.
      await this.#session.exec(`
        DROP INDEX IF EXISTS ${INDEX_NAME};
        ALTER TABLE rein_chunks DROP COLUMN embedding;
        ALTER TABLE rein_chunks ADD COLUMN embedding vector(${dimension});
      `);
      const { rows } = await this.#session.query<{ count: number }>(
        `WITH updated AS (UPDATE rein_chunks c SET embedding = s.embedding FROM ${table} s WHERE s.id = c.id RETURNING 1) SELECT count(*)::int AS count FROM updated`,
      );
      await this.#session.exec(`ALTER TABLE rein_chunks ALTER COLUMN embedding SET NOT NULL; DROP TABLE ${table};`);
      await this.#setMeta("dimension", String(dimension));
      await this.#setMeta("modelId", options.modelId);
      return { chunks: rows[0]?.count ?? 0 };
    });
  }

  async search(search: StoreSearch): Promise<RagSearchHit[]> {
    if (!(await this.#hasChunksTable())) return [];
    const filtered = search.documentIds !== undefined || search.metadata !== undefined;
    const parameters = [vectorText(search.embedding), search.documentIds ?? null, search.metadata === undefined ? null : JSON.stringify(search.metadata), search.topK];
    // Filters are always exact, since an HNSW scan filters after it picked its candidates and could return
    // fewer than topK. The tie-break on id keeps equal scores in one order.
    const exact = search.exact || filtered;
    const statement = `
      SELECT c.id, c.document_id, c.chunk_index, c.text, d.metadata, 1 - (c.embedding <=> $1::vector) AS score
      FROM rein_chunks c JOIN rein_documents d ON d.id = c.document_id
      WHERE ($2::text[] IS NULL OR c.document_id = ANY($2::text[])) AND ($3::jsonb IS NULL OR d.metadata @> $3::jsonb)
      ORDER BY c.embedding <=> $1::vector, c.id LIMIT $4`;
    type Row = { id: string; document_id: string; chunk_index: number; text: string; metadata: RagSearchHit["metadata"]; score: number };
    const rows = await this.#transaction(async () => {
      await this.#session.exec(exact ? EXACT_SCAN_SETTING : `SET LOCAL hnsw.ef_search = ${hnswEfSearch(search.topK)}`);
      return (await this.#session.query<Row>(statement, parameters)).rows;
    });
    const hits = rows.map((row) => ({ chunkId: row.id, documentId: row.document_id, chunkIndex: row.chunk_index, text: row.text, score: Number(row.score), metadata: row.metadata }));
    // Same order for equal scores on the index path too.
    return hits.sort((a, b) => b.score - a.score || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0));
  }

  async deleteDocuments(documentIds: string[]): Promise<{ documents: number; chunks: number }> {
    return this.#transaction(async () => {
      const chunks = (await this.#hasChunksTable())
        ? ((await this.#session.query<{ count: number }>("SELECT count(*)::int AS count FROM rein_chunks WHERE document_id = ANY($1::text[])", [documentIds])).rows[0]?.count ?? 0)
        : 0;
      const { rows } = await this.#session.query<{ count: number }>("WITH deleted AS (DELETE FROM rein_documents WHERE id = ANY($1::text[]) RETURNING 1) SELECT count(*)::int AS count FROM deleted", [documentIds]);
      return { documents: rows[0]?.count ?? 0, chunks };
    });
  }

  async ensureIndex(threshold: number): Promise<boolean> {
    if (await this.#hasIndex()) return true;
    if (!(await this.#hasChunksTable())) return false;
    const { rows } = await this.#session.query<{ count: number }>("SELECT count(*)::int AS count FROM rein_chunks");
    if ((rows[0]?.count ?? 0) < threshold) return false;
    await this.#session.exec(`CREATE INDEX IF NOT EXISTS ${INDEX_NAME} ON rein_chunks USING hnsw (embedding vector_cosine_ops)`);
    return true;
  }

  async #transaction<T>(body: () => Promise<T>): Promise<T> {
    await this.#session.exec("BEGIN");
    try {
      const value = await body();
      await this.#session.exec("COMMIT");
      return value;
    } catch (error) {
      await this.#session.exec("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }
}
