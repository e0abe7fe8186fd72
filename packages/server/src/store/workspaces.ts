import { existsSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { WorkspaceNotFoundError } from "@rein/protocol";
import { StoreThread } from "./store-thread.ts";
import { acquireWorkspaceLock, type WorkspaceLock } from "./workspace-lock.ts";
import type { WorkspaceStore } from "./workspace-store.ts";

/**
 * Chunks from which a workspace gets an HNSW index (searches before that are exact scans). Measured in
 * bench/sections/rag.ts: an exact scan stays within a few ms up to here, while an index build costs seconds
 * per 10k chunks, so small workspaces are better off without one. `REIN_RAG_HNSW_THRESHOLD` overrides it.
 */
export const DEFAULT_HNSW_THRESHOLD = 20_000;

interface OpenWorkspace {
  store: WorkspaceStore;
  lock: WorkspaceLock;
}

/**
 * Waits for `promise`, or rejects with the signal's reason first (the promise still settles in the background).
 *
 * @example
 * ```ts
 * const store = await untilAborted(opening, context.signal);
 * ```
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The worker's RAG workspaces: one directory each under `<cacheDir>/rag/workspaces/<name>/` (PGlite's
 * `pgdata/` and the `rein.lock` file), each opened once, lazily, in its own store thread, and kept open
 * until it is deleted or the worker shuts down. Writes to one workspace take turns (one writer at a time,
 * so a reindex never misses chunks an ingest adds); searches do not wait for them.
 *
 * Why a directory per workspace rather than one database with a table per workspace: a lock, a delete
 * (`rm -r`), a crash recovery and a slow index build then concern one workspace only, and a workspace can be
 * copied or moved as a folder. The cost is one thread and one WASM heap per open workspace.
 *
 * @example
 * ```ts
 * const workspaces = new Workspaces({ root: () => path.join(services.cacheDir, "rag") });
 * const store = await workspaces.open("notes", { create: false, signal });
 * ```
 */
export class Workspaces {
  readonly #root: () => string;
  readonly #open = new Map<string, Promise<OpenWorkspace>>();
  readonly #writeTurns = new Map<string, Promise<void>>();
  readonly hnswThreshold: number;

  constructor(options: { root: () => string; hnswThreshold?: number }) {
    this.#root = options.root;
    const fromEnvironment = Number(process.env.REIN_RAG_HNSW_THRESHOLD);
    this.hnswThreshold = options.hnswThreshold ?? (Number.isInteger(fromEnvironment) && fromEnvironment > 0 ? fromEnvironment : DEFAULT_HNSW_THRESHOLD);
  }

  directoryOf(workspace: string): string {
    return path.join(this.#root(), "workspaces", workspace);
  }

  exists(workspace: string): boolean {
    return existsSync(path.join(this.directoryOf(workspace), "pgdata"));
  }

  /**
   * The workspace's store, opened (and with `create`, made) on first use. Concurrent opens share one
   * attempt; a failed one is forgotten so the next call tries again. A cancelled caller stops waiting; the
   * open itself completes and stays for the next caller.
   */
  async open(workspace: string, options: { create: boolean; signal: AbortSignal }): Promise<WorkspaceStore> {
    if (!this.#open.has(workspace) && !options.create && !this.exists(workspace)) throw new WorkspaceNotFoundError({ workspace });
    let opening = this.#open.get(workspace);
    if (!opening) {
      opening = this.#openNow(workspace);
      this.#open.set(workspace, opening);
      opening.catch(() => {
        if (this.#open.get(workspace) === opening) this.#open.delete(workspace);
      });
    }
    return (await untilAborted(opening, options.signal)).store;
  }

  async #openNow(workspace: string): Promise<OpenWorkspace> {
    const directory = this.directoryOf(workspace);
    await mkdir(directory, { recursive: true });
    const lock = await acquireWorkspaceLock({ path: path.join(directory, "rein.lock"), workspace });
    try {
      // A thread that dies (out of memory, a WASM trap) is forgotten, its lock freed: the next call opens afresh.
      const store = await StoreThread.open(
        { dataDir: path.join(directory, "pgdata") },
        {
          onExit: () => {
            const current = this.#open.get(workspace);
            void current?.then((open) => {
              if (open.store !== store) return;
              this.#open.delete(workspace);
              void lock.release();
            });
          },
        },
      );
      return { store, lock };
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /**
   * Runs `body` as the workspace's only writer: it starts once the previous write ended. A caller cancelled
   * while it waits leaves the line at once.
   */
  async withWriteTurn<T>(workspace: string, signal: AbortSignal, body: () => Promise<T>): Promise<T> {
    const previous = this.#writeTurns.get(workspace) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    // The next writer waits for this one and for everyone before it, whether this one runs or leaves early.
    const turn = previous.then(() => mine);
    this.#writeTurns.set(workspace, turn);
    try {
      await untilAborted(previous, signal);
      return await body();
    } finally {
      done();
      if (this.#writeTurns.get(workspace) === turn) this.#writeTurns.delete(workspace);
    }
  }

  /** Names of the workspaces on disk, sorted. */
  async list(): Promise<string[]> {
    const entries = await readdir(path.join(this.#root(), "workspaces"), { withFileTypes: true }).catch(() => []);
    return entries.filter((entry) => entry.isDirectory() && this.exists(entry.name)).map((entry) => entry.name).sort();
  }

  /** Closes the workspace's store, frees its lock and removes its directory. */
  async delete(workspace: string): Promise<void> {
    const opening = this.#open.get(workspace);
    // Holding the lock first: a workspace another process has open is refused, not deleted under it.
    const open = await (opening ?? this.#openNow(workspace));
    this.#open.delete(workspace);
    await open.store.close();
    await rm(this.directoryOf(workspace), { recursive: true, force: true });
    await open.lock.release();
  }

  /** Closes every open workspace (worker shutdown). */
  async closeAll(): Promise<void> {
    const opened = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(
      opened.map(async (opening) => {
        const open = await opening;
        await open.store.close();
        await open.lock.release();
      }),
    );
  }
}
