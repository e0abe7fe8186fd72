/**
 * A RAG workspace: ingest documents, search them, and cancel a large ingest half-way — which writes nothing.
 *
 *   npm run example:rag                       # generated tiny model (its vectors mean nothing, the mechanics are real)
 *   REIN_MODEL=./an-embedding-model.gguf npm run example:rag
 *
 * The workspace lives under the cache directory (REIN_CACHE_DIR, else the per-user cache); the example deletes it at the end.
 */
import { cancel, close, InferenceCancelledError, loadModel, ragDeleteWorkspace, ragIngest, ragListWorkspaces, ragSearch } from "@rein/sdk";
import { exampleModelPath } from "@rein/test-model";

const workspace = "example-notes";
const modelId = await loadModel({ modelSrc: await exampleModelPath() });

const documents = [
  { id: "cancel", text: "Every long operation in Rein is a request with an id you can cancel.", metadata: { topic: "cancel" } },
  { id: "store", text: "Workspaces keep chunks and embeddings in an embedded PostgreSQL with pgvector.", metadata: { topic: "store" } },
  { id: "deadline", text: "A timeoutMs on any call becomes a deadline the worker enforces.", metadata: { topic: "cancel" } },
];
const ingested = await ragIngest({ workspace, modelId, documents });
console.log(`ingested documents=${ingested.documents} chunks=${ingested.chunks} dimension=${ingested.dimension}`);

const hits = await ragSearch({ workspace, modelId, query: documents[0]!.text, topK: 2, filter: { metadata: { topic: "cancel" } } });
for (const hit of hits) console.log(`hit ${hit.documentId} score=${hit.score.toFixed(3)}`);

// A large ingest, cancelled once its first batch is staged: the workspace stays exactly as it was.
const large = Array.from({ length: 5_000 }, (_, index) => ({ text: `bulk document ${index}` }));
const bulk = ragIngest({
  workspace,
  modelId,
  documents: large,
  onProgress: ({ loaded, total }) => {
    if (loaded <= 32) void cancel({ operation: "rag", workspace }).then(({ cancelled }) => console.log(`cancelled ${cancelled} after ${loaded}/${total} chunks`));
  },
});
try {
  await bulk;
} catch (error) {
  if (!InferenceCancelledError.isInstance(error)) throw error;
  console.log(`bulk ingest rejected: ${error.name} code=${error.code}`);
}
const [info] = (await ragListWorkspaces()).filter((entry) => entry.workspace === workspace);
console.log(`workspace ${workspace}: documents=${info?.documents} chunks=${info?.chunks}`);

await ragDeleteWorkspace({ workspace });
console.log("workspace deleted");
await close();
