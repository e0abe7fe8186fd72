import type { DownloadManager } from "./download/index.ts";
import type { ModelStore } from "./engine/model-store.ts";
import type { RequestRegistry } from "./registry/index.ts";
import type { Workspaces } from "./store/index.ts";
import type { CancelTimeline } from "./transport/cancel-timeline.ts";
import type { FirstTokenTimeline } from "./transport/first-token-timeline.ts";

export type WorkerLogLevel = "debug" | "info" | "warn" | "error";

/** What every op can reach: one of each per worker process. */
export interface WorkerServices {
  readonly registry: RequestRegistry;
  readonly models: ModelStore;
  readonly downloads: DownloadManager;
  /** Where downloads and other cached files live (`REIN_CACHE_DIR`, else the per-user cache directory: `defaultCacheDir()`). */
  readonly cacheDir: string;
  /** RAG workspaces under `<cacheDir>/rag`, each opened lazily in its own store thread. */
  readonly workspaces: Workspaces;
  /** Threads for a model whose config names none. */
  readonly defaultThreads: number;
  log(level: WorkerLogLevel, message: string, data?: Record<string, unknown>): void;
  /** Work counters that ops bump (`embed.textsEmbedded`); reported by `inspect()`. */
  readonly metrics: Map<string, number>;
  /** Stage times of recent cancels by requestId (receipt, abort, acknowledgement, native stop, final reply): diagnostics. */
  readonly cancelTimeline: CancelTimeline;
  /** Stage times of recent calls by requestId, from the frame's arrival to the first text delta sent: diagnostics. */
  readonly firstTokenTimeline: FirstTokenTimeline;
}
