/** Types of the download manager: its options and requests, and its internal subscriber/transfer records. */
import type { DownloadAssetResult, ProgressEvent } from "@rein/protocol";
import type { ProgressThrottle, RateMeter } from "./progress-throttle.ts";

export interface DownloadRequest {
  requestId: string;
  url: string;
  /** Expected sha256 (hex); the download fails with `ChecksumMismatchError` when the file differs. */
  sha256?: string;
  /** Plain file name inside the cache directory; derived from the URL when absent. */
  fileName?: string;
  signal: AbortSignal;
  onProgress?: (progress: ProgressEvent) => void;
}

export interface DownloadManagerOptions {
  cacheDir: string;
  /** At most one progress event per subscriber per this many ms (default 100). */
  progressIntervalMs?: number;
  /** A transfer fails ("network") when the socket is silent this long (default 60 000 ms). */
  idleTimeoutMs?: number;
  logger?: (message: string) => void;
}

export interface Subscriber {
  readonly requestId: string;
  readonly sha256: string | undefined;
  readonly signal: AbortSignal;
  readonly throttle: ProgressThrottle;
  readonly resolve: (result: DownloadAssetResult) => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
  transfer: SharedTransfer | null;
  settled: boolean;
}

export interface SharedTransfer {
  readonly path: string;
  readonly url: string;
  readonly controller: AbortController;
  readonly subscribers: Set<Subscriber>;
  readonly rate: RateMeter;
  loaded: number;
  total: number | null;
  started: boolean;
  /** Every subscriber left: the transfer is being aborted. */
  stopping: boolean;
  /** A leaving subscriber asked for the partial file to be deleted. */
  clearCache: boolean;
  /** Settles (never rejects) when the transfer has stopped and its files are closed. */
  finished: Promise<void>;
}
