export { chunkText, DEFAULT_CHUNKING } from "./chunk-text.ts";
export type { ChunkingOptions } from "./chunk-text.ts";
export type { SqlSession } from "./sql-session.ts";
export { StoreThread, storeThreadScript } from "./store-thread.ts";
export { WorkspaceDatabase } from "./workspace-database.ts";
export { acquireWorkspaceLock, processAlive } from "./workspace-lock.ts";
export type { WorkspaceLock } from "./workspace-lock.ts";
export type { StagedChunk, StagedDocument, StoreSearch, WorkspaceStore } from "./workspace-store.ts";
export { DEFAULT_HNSW_THRESHOLD, untilAborted, Workspaces } from "./workspaces.ts";
