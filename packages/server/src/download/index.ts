export { DownloadManager } from "./download-manager.ts";
export type { DownloadManagerOptions, DownloadRequest } from "./download-manager.ts";
export { assertPlainFileName, cachePathFor, fileNameForUrl, PARTIAL_SUFFIX, partialPathFor } from "./cache-paths.ts";
export { ProgressThrottle, RateMeter } from "./progress-throttle.ts";
export { runTransfer } from "./transfer.ts";
export type { TransferOptions, TransferResult } from "./transfer.ts";
export { defaultCacheDir } from "./default-cache-dir.ts";
