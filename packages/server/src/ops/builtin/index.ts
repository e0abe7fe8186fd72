import type { AnyOpDefinition } from "../define-op.ts";
import { completionOp } from "./completion-op.ts";
import { downloadAssetOp } from "./download-asset-op.ts";
import { embedOp } from "./embed-op.ts";
import { groupOp } from "./group-op.ts";
import { loadModelOp } from "./load-model-op.ts";
import { ragIngestOp } from "./rag-ingest-op.ts";
import { ragReindexOp } from "./rag-reindex-op.ts";
import { ragSaveEmbeddingsOp } from "./rag-save-embeddings-op.ts";
import { ragSearchOp } from "./rag-search-op.ts";
import { ragDeleteDocumentsOp, ragDeleteWorkspaceOp, ragListWorkspacesOp } from "./rag-workspace-ops.ts";

/** The ops every worker runs; an application's own ops are added beside them. */
export const builtinOps: readonly AnyOpDefinition[] = [
  completionOp,
  embedOp,
  loadModelOp,
  downloadAssetOp,
  groupOp,
  ragIngestOp,
  ragSaveEmbeddingsOp,
  ragSearchOp,
  ragReindexOp,
  ragDeleteDocumentsOp,
  ragListWorkspacesOp,
  ragDeleteWorkspaceOp,
];
