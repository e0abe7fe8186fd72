import {
  ragDeleteDocumentsInputSchema,
  ragDeleteWorkspaceInputSchema,
  ragListWorkspacesInputSchema,
  WorkspaceLockedError,
  WorkspaceNotFoundError,
  type RagDeleteDocumentsResult,
  type RagDeleteWorkspaceResult,
  type RagWorkspaceInfo,
} from "@rein/protocol";
import { defineOp } from "../define-op.ts";

/** Deletes documents and their chunks in one transaction; ids that do not exist count 0. */
export const ragDeleteDocumentsOp = defineOp({
  name: "ragDeleteDocuments",
  kind: "rag",
  input: ragDeleteDocumentsInputSchema,
  model: "none",
  cancel: "hard",
  admission: (input) => ({ workspace: input.workspace }),
  async run(context, input): Promise<RagDeleteDocumentsResult> {
    const { workspaces } = context.services;
    return workspaces.withWriteTurn(input.workspace, context.signal, async () => {
      const store = await workspaces.open(input.workspace, { create: false, signal: context.signal });
      context.signal.throwIfAborted();
      return store.deleteDocuments(input.documentIds);
    });
  },
});

/**
 * Every workspace in the cache with its counts, dimension and model. Opens each one it lists (a first open
 * costs about a second); one that another process holds is listed with `lockedByPid` and null counts.
 */
export const ragListWorkspacesOp = defineOp({
  name: "ragListWorkspaces",
  kind: "rag",
  input: ragListWorkspacesInputSchema,
  model: "none",
  cancel: "hard",
  async run(context): Promise<RagWorkspaceInfo[]> {
    const { workspaces } = context.services;
    const listed: RagWorkspaceInfo[] = [];
    for (const workspace of await workspaces.list()) {
      context.signal.throwIfAborted();
      try {
        const store = await workspaces.open(workspace, { create: false, signal: context.signal });
        listed.push({ workspace, ...(await store.info()) });
      } catch (error) {
        if (WorkspaceNotFoundError.isInstance(error)) continue; // Deleted while we listed.
        if (!WorkspaceLockedError.isInstance(error)) throw error;
        listed.push({ workspace, documents: null, chunks: null, dimension: null, modelId: null, indexed: false, ...(error.ownerPid === null ? {} : { lockedByPid: error.ownerPid }) });
      }
    }
    return listed;
  },
});

/** Closes a workspace and removes its directory; waits for a write in progress to end first. */
export const ragDeleteWorkspaceOp = defineOp({
  name: "ragDeleteWorkspace",
  kind: "rag",
  input: ragDeleteWorkspaceInputSchema,
  model: "none",
  cancel: "hard",
  admission: (input) => ({ workspace: input.workspace }),
  async run(context, input): Promise<RagDeleteWorkspaceResult> {
    const { workspaces } = context.services;
    if (!workspaces.exists(input.workspace)) throw new WorkspaceNotFoundError({ workspace: input.workspace });
    return workspaces.withWriteTurn(input.workspace, context.signal, async () => {
      await workspaces.delete(input.workspace);
      return { workspace: input.workspace, deleted: true };
    });
  },
});
