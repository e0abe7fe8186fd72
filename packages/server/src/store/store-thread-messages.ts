import type { SerializedErrorData } from "@rein/protocol";
import type { WorkspaceStore } from "./workspace-store.ts";

/** What the store thread is started with. */
export interface StoreThreadData {
  /** PGlite's data directory (created on first open). */
  dataDir: string;
}

export type StoreMethod = keyof WorkspaceStore;

export interface StoreThreadRequest {
  id: number;
  method: StoreMethod;
  args: unknown[];
}

export type StoreThreadReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedErrorData };

/** The first message of a thread: its database is open, or why not. */
export type StoreThreadReady = { ready: true } | { ready: false; error: SerializedErrorData };
