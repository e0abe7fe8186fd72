import type { Worker } from "node:worker_threads";
import { deserializeError, OperationFailedError } from "@rein/protocol";
import type { StoreMethod, StoreThreadData, StoreThreadReady, StoreThreadReply, StoreThreadRequest } from "./store-thread-messages.ts";
import { findThreadScript, startScriptThread } from "../threads/script-thread.ts";
import type { WorkspaceStore } from "./workspace-store.ts";

/**
 * Where the thread's script is: beside this module (tsc's dist/store/, or src/store/ when run from source),
 * or in dist/store/ next to the worker bundle (which inlines this module; its `import.meta.url` is the bundle's).
 *
 * @example
 * ```ts
 * new Worker(storeThreadScript(), { workerData: { dataDir } });
 * ```
 */
export function storeThreadScript(): URL {
  return findThreadScript(import.meta.url, ["./store-thread-main.js", "./store/store-thread-main.js", "./store-thread-main.ts"], "store thread");
}

/** A failed bootstrap answers as a failed open, in the thread's own `ready` message. */
const BOOTSTRAP_FAILURE = `(message) => ({ ready: false, error: { code: 52500, message, fields: { operation: "store.open" } } })`;

type Pending = { resolve(value: unknown): void; reject(error: unknown): void };

/**
 * A workspace's PGlite database in its own worker thread, behind `WorkspaceStore`. Calls are messages; the
 * thread runs them one at a time. If the thread dies, every pending and later call rejects.
 *
 * @example
 * ```ts
 * const store = await StoreThread.open({ dataDir: "/cache/rag/workspaces/notes/pgdata" });
 * const hits = await store.search({ embedding, topK: 5, exact: true });
 * await store.close();
 * ```
 */
export class StoreThread implements WorkspaceStore {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | null = null;
  readonly #exited: Promise<void>;

  private constructor(worker: Worker) {
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once("exit", () => resolve()));
    worker.on("message", (reply: StoreThreadReply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(deserializeError(reply.error));
    });
    const fail = (error: Error) => {
      this.#failure ??= error;
      for (const pending of this.#pending.values()) pending.reject(this.#failure);
      this.#pending.clear();
    };
    worker.on("error", (error) => fail(new OperationFailedError({ operation: "store", errorName: error.name, message: `The workspace store thread failed: ${error.message}`, cause: error })));
    worker.on("exit", (code) => fail(new OperationFailedError({ operation: "store", message: `The workspace store thread exited (code ${code})` })));
  }

  /**
   * Starts the thread and waits until its database is open (the first open of a directory runs initdb:
   * seconds). `onExit` hears of the thread's end, planned or not, once it was ready.
   */
  static async open(data: StoreThreadData, options: { onExit?: () => void } = {}): Promise<StoreThread> {
    const worker = startScriptThread(storeThreadScript(), { workerData: data, bootstrapFailure: BOOTSTRAP_FAILURE });
    const ready = await new Promise<StoreThreadReady>((resolve) => {
      worker.once("message", (message: StoreThreadReady) => resolve(message));
      worker.once("error", (error) => resolve({ ready: false, error: { code: 52500, message: error.message, fields: { operation: "store.open", errorName: error.name } } }));
      worker.once("exit", (code) => resolve({ ready: false, error: { code: 52500, message: `store thread exited (code ${code}) before it was ready`, fields: { operation: "store.open" } } }));
    });
    if (!ready.ready) {
      await worker.terminate();
      throw deserializeError(ready.error);
    }
    const thread = new StoreThread(worker);
    if (options.onExit) worker.once("exit", options.onExit);
    return thread;
  }

  #call<T>(method: StoreMethod, ...args: unknown[]): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ id, method, args } satisfies StoreThreadRequest);
    });
  }

  info: WorkspaceStore["info"] = () => this.#call("info");
  dimension: WorkspaceStore["dimension"] = () => this.#call("dimension");
  beginStaging: WorkspaceStore["beginStaging"] = (...args) => this.#call("beginStaging", ...args);
  stageChunks: WorkspaceStore["stageChunks"] = (...args) => this.#call("stageChunks", ...args);
  commitIngest: WorkspaceStore["commitIngest"] = (...args) => this.#call("commitIngest", ...args);
  dropStaging: WorkspaceStore["dropStaging"] = (...args) => this.#call("dropStaging", ...args);
  chunkPage: WorkspaceStore["chunkPage"] = (...args) => this.#call("chunkPage", ...args);
  beginReindexStaging: WorkspaceStore["beginReindexStaging"] = (...args) => this.#call("beginReindexStaging", ...args);
  stageReindex: WorkspaceStore["stageReindex"] = (...args) => this.#call("stageReindex", ...args);
  commitReindex: WorkspaceStore["commitReindex"] = (...args) => this.#call("commitReindex", ...args);
  search: WorkspaceStore["search"] = (...args) => this.#call("search", ...args);
  deleteDocuments: WorkspaceStore["deleteDocuments"] = (...args) => this.#call("deleteDocuments", ...args);
  ensureIndex: WorkspaceStore["ensureIndex"] = (...args) => this.#call("ensureIndex", ...args);

  /** Closes the database (a clean shutdown, no recovery on the next open) and ends the thread. */
  async close(): Promise<void> {
    await this.#call("close").catch(() => undefined);
    // A thread stuck in a statement would keep the process alive: after the grace period it is stopped.
    const timer = setTimeout(() => void this.#worker.terminate(), 5_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
