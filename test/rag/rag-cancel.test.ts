import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EmbeddingDimensionMismatchError,
  InferenceCancelledError,
  RequestTimeoutError,
  type ProgressEvent,
  type RagIngestParams,
  type ReinClient,
} from "@rein/sdk";
import { createTestClient, mediumModel, tinyModel } from "../helpers/rein-test-client.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const WORKSPACE = "cancels";
const baseDocuments = Array.from({ length: 24 }, (_, index) => ({ id: `base-${index}`, text: `base document ${index} that stays`, metadata: { index } }));
/** Large enough that it is still embedding long after its first batch was reported. */
const largeDocuments = Array.from({ length: 6_000 }, (_, index) => ({ id: `large-${index}`, text: `large document number ${index} that must never be half-written` }));

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe("cancelling RAG writes leaves the workspace exactly as it was", () => {
  let client: ReinClient;
  let modelId: string;
  let cache: Awaited<ReturnType<typeof makeTempDir>>;
  /** The workspace as searches and the listing see it before any cancelled write. */
  let snapshot: () => Promise<unknown>;
  let before: unknown;

  beforeAll(async () => {
    cache = await makeTempDir("rein-rag-cancel-");
    client = createTestClient({ cacheDir: cache.path });
    modelId = await client.loadModel({ modelSrc: await tinyModel() });
    await client.ragIngest({ workspace: WORKSPACE, modelId, documents: baseDocuments });
    snapshot = async () => ({
      listing: (await client.ragListWorkspaces()).find((entry) => entry.workspace === WORKSPACE),
      hits: await client.ragSearch({ workspace: WORKSPACE, modelId, query: "base document 3 that stays", topK: 100, exact: true }),
    });
    before = await snapshot();
  });
  afterAll(async () => {
    await client.close();
    await cache.remove();
  });

  /** Starts a large ingest and runs `stop` once its first batch was staged (the ingest is then mid-way). */
  function ingestStoppedAfterFirstBatch(stop: (requestId: string) => unknown, extra: Partial<RagIngestParams> = {}) {
    let stopped: unknown;
    let loadedAtStop = -1;
    const ingest = client.ragIngest({
      workspace: WORKSPACE,
      modelId,
      documents: largeDocuments,
      batchSize: 16,
      onProgress: (progress: ProgressEvent) => {
        if (stopped !== undefined) return;
        loadedAtStop = progress.loaded;
        stopped = stop(ingest.requestId) ?? true;
      },
      ...extra,
    });
    return { ingest, stopped: () => stopped, loadedAtStop: () => loadedAtStop };
  }

  it("cancel({ requestId }) mid-ingest: 52419, nothing written, and the worker answered a search meanwhile", async () => {
    let searchDuringIngest: Promise<unknown> | undefined;
    const run = ingestStoppedAfterFirstBatch((requestId) => {
      // A search while the ingest has staged rows: it is answered, and it does not see them.
      searchDuringIngest = client.ragSearch({ workspace: WORKSPACE, modelId, query: "large document number 1", topK: 1_000, exact: true });
      return client.cancel({ requestId });
    });
    const error = await failure(run.ingest);
    expect(error).toBeInstanceOf(InferenceCancelledError);
    expect(error).toMatchObject({ code: 52419, requestId: run.ingest.requestId });
    expect(await run.stopped()).toEqual({ cancelled: 1 });
    expect(run.loadedAtStop()).toBe(16);
    const seen = (await searchDuringIngest) as { documentId: string }[];
    expect(seen).toHaveLength(baseDocuments.length);
    expect(seen.every((hit) => hit.documentId.startsWith("base-"))).toBe(true);
    expect(await snapshot()).toEqual(before);
    expect((await client.inspect()).requests).toEqual([]);
  });

  it("cancel({ operation: 'rag', workspace }) reaches the ingest; another workspace's request is untouched", async () => {
    let listed: unknown;
    const run = ingestStoppedAfterFirstBatch(async (requestId) => {
      listed = (await client.inspect()).requests.find((request) => request.requestId === requestId);
      return client.cancel({ operation: "rag", workspace: WORKSPACE });
    });
    expect(await failure(run.ingest)).toMatchObject({ code: 52419 });
    expect(listed).toMatchObject({ kind: "rag", workspace: WORKSPACE, modelId, state: "running" });
    expect(await run.stopped()).toEqual({ cancelled: 1 });
    expect(await client.cancel({ operation: "rag", workspace: "other" })).toEqual({ cancelled: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it("cancel({ modelId }) reaches an ingest embedding with that model", async () => {
    const run = ingestStoppedAfterFirstBatch(() => client.cancel({ modelId }));
    expect(await failure(run.ingest)).toMatchObject({ code: 52419 });
    expect(await run.stopped()).toEqual({ cancelled: 1 });
    expect(await snapshot()).toEqual(before);
  });

  it("an AbortSignal, a cancelled parent and a deadline each stop it with nothing written", async () => {
    const controller = new AbortController();
    const aborted = ingestStoppedAfterFirstBatch(() => controller.abort(), { signal: controller.signal });
    expect(await failure(aborted.ingest)).toMatchObject({ code: 52419, reason: "abortSignal" });
    expect(await snapshot()).toEqual(before);

    const group = client.group();
    const child = ingestStoppedAfterFirstBatch(() => group.cancel(), { parent: group });
    expect(await failure(child.ingest)).toMatchObject({ code: 52419, reason: "parentCancelled" });
    expect(await snapshot()).toEqual(before);

    // The deadline lands somewhere in a 6,000-chunk ingest (or, on a very slow machine, while it opens): never after its commit.
    const timed = client.ragIngest({ workspace: WORKSPACE, modelId, documents: largeDocuments, timeoutMs: 1_500 });
    const timeout = await failure(timed);
    expect(timeout).toBeInstanceOf(RequestTimeoutError);
    expect(timeout).toMatchObject({ requestId: timed.requestId });
    expect(await snapshot()).toEqual(before);
    expect((await client.inspect()).requests).toEqual([]);
  });

  it("a cancelled reindex keeps the old vectors; a finished one swaps model and dimension", async () => {
    const medium = await client.loadModel({ modelSrc: await mediumModel() });
    let cancelAt: Promise<unknown> | undefined;
    const reindex = client.ragReindex({
      workspace: WORKSPACE,
      modelId: medium,
      batchSize: 1,
      onProgress: () => void (cancelAt ??= client.cancel({ requestId: reindex.requestId })),
    });
    expect(await failure(reindex)).toMatchObject({ code: 52419 });
    expect(await cancelAt).toEqual({ cancelled: 1 });
    expect(await snapshot()).toEqual(before);

    const done = await client.ragReindex({ workspace: WORKSPACE, modelId: medium });
    expect(done).toMatchObject({ workspace: WORKSPACE, chunks: baseDocuments.length, dimension: 512, modelId: medium });
    const hits = await client.ragSearch({ workspace: WORKSPACE, modelId: medium, query: "base document 3 that stays", topK: 1 });
    expect(hits[0]).toMatchObject({ documentId: "base-3" });
    const stale = await failure(client.ragSearch({ workspace: WORKSPACE, modelId, query: "x" }));
    expect(stale).toBeInstanceOf(EmbeddingDimensionMismatchError);
    expect(stale).toMatchObject({ field: "modelId", expected: 512, actual: 128 });
    expect((await client.ragListWorkspaces())[0]).toMatchObject({ chunks: baseDocuments.length, dimension: 512, modelId: medium });
  });
});
