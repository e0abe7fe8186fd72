import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EmbeddingDimensionMismatchError,
  InvalidInputError,
  ModelNotLoadedError,
  WorkspaceNotFoundError,
  type ReinClient,
} from "@rein/sdk";
import { createTestClient, tinyModel } from "../helpers/rein-test-client.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const documents = [
  { id: "cancel", text: "Cancellation is a feature: every long operation has a request id.", metadata: { topic: "cancel", year: 2024 } },
  { id: "stores", text: "An embedded vector store keeps chunks and their embeddings on disk.", metadata: { topic: "store", year: 2025 } },
  { id: "long", text: Array.from({ length: 40 }, (_, index) => `sentence ${index} about workspaces and search`).join(". "), metadata: { topic: "store", year: 2023 } },
];

/** Rejection of a call, for asserting its typed error. */
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe("RAG workspaces through the real worker", () => {
  let client: ReinClient;
  let modelId: string;
  let cache: Awaited<ReturnType<typeof makeTempDir>>;

  beforeAll(async () => {
    cache = await makeTempDir("rein-rag-");
    client = createTestClient({ cacheDir: cache.path });
    modelId = await client.loadModel({ modelSrc: await tinyModel() });
  });
  afterAll(async () => {
    await client.close();
    await cache.remove();
  });

  it("ingests with progress per batch, and the same search returns the same ids and scores", async () => {
    const progress: number[] = [];
    const ingest = client.ragIngest({
      workspace: "notes",
      modelId,
      documents,
      chunking: { size: 200, overlap: 20 },
      batchSize: 2,
      onProgress: (event) => progress.push(event.loaded),
    });
    expect(ingest.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const result = await ingest;
    expect(result).toMatchObject({ workspace: "notes", documents: 3, dimension: 128, documentIds: ["cancel", "stores", "long"] });
    expect(result.chunks).toBeGreaterThan(3);
    expect(progress.at(-1)).toBe(result.chunks);
    expect(progress.length).toBe(Math.ceil(result.chunks / 2));

    // The test model's vectors mean nothing, but a chunk's own text is its own nearest neighbour.
    const query = documents[0]!.text;
    const first = await client.ragSearch({ workspace: "notes", modelId, query, topK: 4 });
    const second = await client.ragSearch({ workspace: "notes", modelId, query, topK: 4 });
    expect(first).toHaveLength(4);
    expect(second).toEqual(first);
    expect(first[0]).toMatchObject({ documentId: "cancel", chunkId: "cancel#0", chunkIndex: 0, metadata: { topic: "cancel", year: 2024 } });
    expect(first[0]!.score).toBeCloseTo(1, 5);
    for (const [index, hit] of first.entries()) if (index > 0) expect(hit.score).toBeLessThanOrEqual(first[index - 1]!.score);
  });

  it("filters by metadata and by document id, and names a bad filter field", async () => {
    const byTopic = await client.ragSearch({ workspace: "notes", modelId, query: "disk", topK: 50, filter: { metadata: { topic: "store" } } });
    expect(byTopic.length).toBeGreaterThan(1);
    expect(new Set(byTopic.map((hit) => hit.documentId))).toEqual(new Set(["stores", "long"]));
    const byId = await client.ragSearch({ workspace: "notes", modelId, query: "disk", topK: 50, filter: { documentIds: ["stores"] } });
    expect(byId.map((hit) => hit.documentId)).toEqual(["stores"]);

    const unknownKey = await failure(client.ragSearch({ workspace: "notes", modelId, query: "x", filter: { where: "1=1" } as never }));
    expect(unknownKey).toBeInstanceOf(InvalidInputError);
    expect(unknownKey).toMatchObject({ field: "filter.where" });
    const nested = await failure(client.ragSearch({ workspace: "notes", modelId, query: "x", filter: { metadata: { topic: { $ne: 1 } } } as never }));
    expect(nested).toMatchObject({ code: 50001, field: "filter.metadata.topic" });
    // The same bad filter sent past the client's own check is refused by the worker by name.
    const raw = await failure(client.call("ragSearch", { workspace: "notes", modelId, query: "x", filter: { metadata: [] } }, { kind: "rag" }));
    expect(raw).toMatchObject({ code: 50001, field: "filter.metadata" });
  });

  it("refuses bad input by name, writes nothing, and keeps serving", async () => {
    const before = (await client.ragListWorkspaces()).find((entry) => entry.workspace === "notes")!;
    const blank = await failure(client.ragIngest({ workspace: "notes", modelId, documents: [{ text: "fine" }, { text: "   " }] }));
    expect(blank).toMatchObject({ code: 50001, field: "documents.1.text" });
    const rawBlank = await failure(client.call("ragIngest", { workspace: "notes", modelId, documents: [{ text: "" }] }, { kind: "rag" }));
    expect(rawBlank).toMatchObject({ code: 50001, field: "documents.0.text" });
    const badName = await failure(client.ragSearch({ workspace: "../etc", modelId, query: "x" }));
    expect(badName).toMatchObject({ code: 50001, field: "workspace" });

    const unknown = await failure(client.ragSearch({ workspace: "never-made", modelId, query: "x" }));
    expect(unknown).toBeInstanceOf(WorkspaceNotFoundError);
    expect(unknown).toMatchObject({ code: 52601, workspace: "never-made", field: "workspace" });

    const wrongDimension = await failure(client.ragSaveEmbeddings({ workspace: "notes", items: [{ id: "v", text: "vector", embedding: [1, 2, 3] }] }));
    expect(wrongDimension).toBeInstanceOf(EmbeddingDimensionMismatchError);
    expect(wrongDimension).toMatchObject({ code: 52603, field: "items.0.embedding", expected: 128, actual: 3 });
    const wrongQuery = await failure(client.ragSearch({ workspace: "notes", embedding: [1, 2, 3] }));
    expect(wrongQuery).toMatchObject({ code: 52603, field: "embedding" });

    const notLoaded = await failure(client.ragIngest({ workspace: "notes", modelId: "no-such-model", documents: [{ text: "x" }] }));
    expect(notLoaded).toBeInstanceOf(ModelNotLoadedError);
    const notLoadedSearch = await failure(client.ragSearch({ workspace: "notes", modelId: "no-such-model", query: "x" }));
    expect(notLoadedSearch).toBeInstanceOf(ModelNotLoadedError);

    const after = (await client.ragListWorkspaces()).find((entry) => entry.workspace === "notes")!;
    expect(after).toEqual(before);
    expect((await client.inspect()).requests).toEqual([]);
    expect(await client.ragSearch({ workspace: "notes", modelId, query: "disk", topK: 1 })).toHaveLength(1);
  });

  it("saves vectors made elsewhere, replaces a document given again, deletes documents and workspaces", async () => {
    const saved = await client.ragSaveEmbeddings({
      workspace: "vectors",
      items: [
        { id: "x", text: "points along x", embedding: [1, 0, 0], metadata: { axis: "x" } },
        { id: "y", text: "points along y", embedding: [0, 1, 0], metadata: { axis: "y" } },
      ],
    });
    expect(saved).toMatchObject({ documents: 2, chunks: 2, dimension: 3 });
    const nearest = await client.ragSearch({ workspace: "vectors", embedding: [0.9, 0.1, 0], topK: 2 });
    expect(nearest.map((hit) => hit.documentId)).toEqual(["x", "y"]);

    await client.ragSaveEmbeddings({ workspace: "vectors", items: [{ id: "x", text: "now along z", embedding: [0, 0, 1] }] });
    const replaced = await client.ragSearch({ workspace: "vectors", embedding: [0, 0, 1], topK: 5 });
    expect(replaced).toHaveLength(2);
    expect(replaced[0]).toMatchObject({ documentId: "x", text: "now along z", metadata: {} });

    expect(await client.ragDeleteDocuments({ workspace: "vectors", documentIds: ["x", "missing"] })).toEqual({ documents: 1, chunks: 1 });
    const listed = await client.ragListWorkspaces();
    expect(listed.map((entry) => entry.workspace)).toEqual(["notes", "vectors"]);
    expect(listed[1]).toMatchObject({ workspace: "vectors", documents: 1, chunks: 1, dimension: 3, modelId: null, indexed: false });
    expect(listed[0]).toMatchObject({ workspace: "notes", dimension: 128, modelId });

    expect(await client.ragDeleteWorkspace({ workspace: "vectors" })).toEqual({ workspace: "vectors", deleted: true });
    expect(await failure(client.ragSearch({ workspace: "vectors", embedding: [1, 0, 0] }))).toBeInstanceOf(WorkspaceNotFoundError);
    expect(await failure(client.ragDeleteWorkspace({ workspace: "vectors" }))).toBeInstanceOf(WorkspaceNotFoundError);
    expect((await client.ragListWorkspaces()).map((entry) => entry.workspace)).toEqual(["notes"]);
  });
});
