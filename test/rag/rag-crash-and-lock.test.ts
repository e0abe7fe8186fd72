import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerCrashedError, WorkspaceLockedError, type ReinClient } from "@rein/sdk";
import { createTestClient, tinyModel } from "../helpers/rein-test-client.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const WORKSPACE = "durable";
const baseDocuments = Array.from({ length: 10 }, (_, index) => ({ id: `base-${index}`, text: `base document ${index}` }));
const largeDocuments = Array.from({ length: 6_000 }, (_, index) => ({ id: `large-${index}`, text: `large document number ${index} written when the worker dies` }));

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe("a workspace survives a SIGKILL mid-ingest, and a second process is locked out", () => {
  let cache: Awaited<ReturnType<typeof makeTempDir>>;
  let owner: ReinClient;
  let other: ReinClient;
  let modelSrc: string;

  beforeAll(async () => {
    cache = await makeTempDir("rein-rag-crash-");
    modelSrc = await tinyModel();
    owner = createTestClient({ cacheDir: cache.path });
    other = createTestClient({ cacheDir: cache.path });
    const modelId = await owner.loadModel({ modelSrc });
    await owner.ragIngest({ workspace: WORKSPACE, modelId, documents: baseDocuments });
  });
  afterAll(async () => {
    await Promise.all([owner.close(), other.close()]);
    await cache.remove();
  });

  it("a second worker on the same cache gets WorkspaceLockedError naming the owner, and keeps serving", async () => {
    const modelId = await other.loadModel({ modelSrc });
    const ownerPid = owner.workerPid;
    expect(ownerPid).toBeGreaterThan(0);
    const locked = await failure(other.ragSearch({ workspace: WORKSPACE, modelId, query: "base document 1" }));
    expect(locked).toBeInstanceOf(WorkspaceLockedError);
    expect(locked).toMatchObject({ code: 52602, workspace: WORKSPACE, field: "workspace", ownerPid });
    const lockedWrite = await failure(other.ragIngest({ workspace: WORKSPACE, modelId, documents: [{ text: "lost write" }] }));
    expect(lockedWrite).toMatchObject({ code: 52602, ownerPid });
    expect(await other.ragListWorkspaces()).toEqual([{ workspace: WORKSPACE, documents: null, chunks: null, dimension: null, modelId: null, indexed: false, lockedByPid: ownerPid }]);
    expect((await other.embed({ modelId, text: "still serving" })).dimension).toBe(128);
  });

  it("SIGKILL of the worker mid-ingest writes nothing; the next worker opens the workspace and writes", async () => {
    const modelId = await owner.loadModel({ modelSrc });
    const killedPid = owner.workerPid!;
    let killed = false;
    const ingest = owner.ragIngest({
      workspace: WORKSPACE,
      modelId,
      documents: largeDocuments,
      batchSize: 16,
      onProgress: () => {
        if (killed) return;
        killed = true;
        process.kill(killedPid, "SIGKILL");
      },
    });
    const crash = await failure(ingest);
    expect(crash).toBeInstanceOf(WorkerCrashedError);
    expect(crash).toMatchObject({ signal: "SIGKILL" });

    // The next call starts a fresh worker; the dead worker's lock is stale and taken over.
    const reloaded = await owner.loadModel({ modelSrc });
    expect(owner.workerPid).not.toBe(killedPid);
    const listing = await owner.ragListWorkspaces();
    expect(listing).toEqual([{ workspace: WORKSPACE, documents: baseDocuments.length, chunks: baseDocuments.length, dimension: 128, modelId: reloaded, indexed: false }]);
    const hits = await owner.ragSearch({ workspace: WORKSPACE, modelId: reloaded, query: "large document number 1 written when the worker dies", topK: 50, exact: true });
    expect(hits.map((hit) => hit.documentId).sort()).toEqual(baseDocuments.map((document) => document.id).sort());
    const written = await owner.ragIngest({ workspace: WORKSPACE, modelId: reloaded, documents: [{ id: "after", text: "written after the crash" }] });
    expect(written.chunks).toBe(1);
    expect((await owner.ragListWorkspaces())[0]).toMatchObject({ documents: baseDocuments.length + 1 });
  });
});
