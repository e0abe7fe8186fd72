import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXACT_SCAN_SETTING, WorkspaceDatabase } from "./workspace-database.ts";

// The real database (PGlite in memory, pgvector), driven in this process: the SQL itself, without the thread.
describe("WorkspaceDatabase on PGlite + pgvector", () => {
  let pglite: PGlite;
  let database: WorkspaceDatabase;

  beforeAll(async () => {
    pglite = await PGlite.create({ extensions: { vector } });
    database = new WorkspaceDatabase(pglite);
    await database.init();
  });
  afterAll(() => pglite.close());

  const ingest = async (stagingId: string, rows: [documentId: string, chunkIndex: number, embedding: number[]][]) => {
    await database.beginStaging(stagingId, 2);
    await database.stageChunks(stagingId, rows.map(([documentId, chunkIndex, embedding]) => ({ documentId, chunkIndex, text: `${documentId} ${chunkIndex}`, embedding })));
    const ids = [...new Set(rows.map(([documentId]) => documentId))];
    return database.commitIngest({ stagingId, documents: ids.map((id) => ({ id, metadata: { id } })), dimension: 2, modelId: "m" });
  };

  it("writes nothing until the commit, and a dropped staging table leaves no trace", async () => {
    await database.beginStaging("dropped", 2);
    await database.stageChunks("dropped", [{ documentId: "x", chunkIndex: 0, text: "x", embedding: [1, 0] }]);
    expect(await database.info()).toMatchObject({ documents: 0, chunks: 0, dimension: null });
    await database.dropStaging("dropped");
    expect(await ingest("first", [["a", 0, [1, 0]], ["a", 1, [0, 1]], ["b", 0, [1, 1]]])).toEqual({ chunks: 3 });
    expect(await database.info()).toEqual({ documents: 2, chunks: 3, dimension: 2, modelId: "m", indexed: false });
  });

  it("a commit that fails part-way rolls back everything it did", async () => {
    // A staged row of a document the commit does not register breaks the foreign key after the deletes and inserts ran.
    await database.beginStaging("broken", 2);
    await database.stageChunks("broken", [
      { documentId: "a", chunkIndex: 0, text: "new a", embedding: [0.5, 0.5] },
      { documentId: "ghost", chunkIndex: 0, text: "ghost", embedding: [0.5, 0.5] },
    ]);
    await expect(database.commitIngest({ stagingId: "broken", documents: [{ id: "a", metadata: {} }], dimension: 2, modelId: "other" })).rejects.toThrow();
    await database.dropStaging("broken");
    expect(await database.info()).toEqual({ documents: 2, chunks: 3, dimension: 2, modelId: "m", indexed: false });
    const hits = await database.search({ embedding: [1, 0], topK: 10, exact: true });
    expect(hits.map((hit) => hit.chunkId)).toEqual(["a#0", "b#0", "a#1"]);
  });

  it("orders equal scores by chunk id, and a reindex missing a vector changes nothing", async () => {
    await ingest("ties", [["t2", 0, [2, 2]], ["t1", 0, [3, 3]]]);
    const hits = await database.search({ embedding: [1, 1], topK: 3, exact: true });
    expect(hits.map((hit) => hit.chunkId)).toEqual(["b#0", "t1#0", "t2#0"]);
    expect(hits[0]!.score).toBeCloseTo(hits[2]!.score, 12);

    await database.beginReindexStaging("partial", 3);
    await database.stageReindex("partial", [{ id: "a#0", embedding: [1, 2, 3] }]);
    await expect(database.commitReindex({ stagingId: "partial", dimension: 3, modelId: "new" })).rejects.toThrow(/no new vector/);
    await database.dropStaging("partial");
    expect(await database.info()).toMatchObject({ dimension: 2, modelId: "m", chunks: 5 });
  });

  it("builds the HNSW index at the threshold; the exact query never uses it, the default one does", async () => {
    expect(await database.ensureIndex(1_000)).toBe(false);
    expect(await database.ensureIndex(5)).toBe(true);
    expect((await database.info()).indexed).toBe(true);
    // A sequential scan is discouraged here, so only the exact setting keeps the planner off the index.
    const plan = async (exact: boolean) => {
      await pglite.exec("BEGIN; SET LOCAL enable_seqscan = off");
      if (exact) await pglite.exec(EXACT_SCAN_SETTING);
      const { rows } = await pglite.query<{ "QUERY PLAN": string }>("EXPLAIN SELECT id FROM rein_chunks ORDER BY embedding <=> '[1,0]'::vector, id LIMIT 3");
      await pglite.exec("ROLLBACK");
      return rows.map((row) => row["QUERY PLAN"]).join("\n");
    };
    expect(await plan(false)).toMatch(/rein_chunks_embedding_hnsw/);
    expect(await plan(true)).not.toMatch(/rein_chunks_embedding_hnsw/);
    const viaIndex = await database.search({ embedding: [1, 0], topK: 3, exact: false });
    const exact = await database.search({ embedding: [1, 0], topK: 3, exact: true });
    expect(viaIndex).toEqual(exact);
  });

  it("deletes documents with their chunks and filters by metadata containment", async () => {
    expect(await database.search({ embedding: [1, 0], topK: 10, exact: false, metadata: { id: "b" } })).toHaveLength(1);
    expect(await database.deleteDocuments(["a", "nope"])).toEqual({ documents: 1, chunks: 2 });
    expect(await database.search({ embedding: [1, 0], topK: 10, exact: true, documentIds: ["a"] })).toEqual([]);
  });
});
