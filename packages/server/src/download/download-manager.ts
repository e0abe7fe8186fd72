/**
 * The worker's download manager. Each `download()` call is a subscriber; calls
 * for the same cache path share one transfer. A subscriber whose signal aborts
 * rejects at once with `signal.reason`; the transfer stops (socket closed,
 * partial file kept for resume) only when its last subscriber has left, and the
 * partial file is deleted then if a leaving subscriber was marked with
 * `markClearCache`.
 */
import { rename, rm, stat } from "node:fs/promises";
import { ChecksumMismatchError, type DownloadAssetResult, type ProgressEvent } from "@rein/protocol";
import { cachePathFor, partialPathFor } from "./cache-paths.ts";
import { onDisk } from "./download-errors.ts";
import { ProgressThrottle, RateMeter } from "./progress-throttle.ts";
import { findCachedFile, type FileHashMemo } from "./cached-file.ts";
import { runTransfer, type TransferResult } from "./transfer.ts";
import type { DownloadManagerOptions, DownloadRequest, SharedTransfer, Subscriber } from "./download-types.ts";

export type { DownloadManagerOptions, DownloadRequest } from "./download-types.ts";

const MAX_CLEAR_CACHE_MARKS = 1024;

export class DownloadManager {
  readonly #cacheDir: string;
  readonly #progressIntervalMs: number;
  readonly #idleTimeoutMs: number;
  readonly #log: (message: string) => void;
  readonly #transfers = new Map<string, SharedTransfer>();
  readonly #clearCacheMarks = new Set<string>();
  readonly #hashMemo: FileHashMemo = new Map();

  constructor(options: DownloadManagerOptions) {
    this.#cacheDir = options.cacheDir;
    this.#progressIntervalMs = options.progressIntervalMs ?? 100;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.#log = options.logger ?? (() => {});
  }

  /** Transfers running or still stopping. */
  get activeTransfers(): number {
    return this.#transfers.size;
  }

  /** The final path of `url` (or `fileName`) in the cache; throws `InvalidInputError` for a path trick. */
  pathFor(url: string, fileName?: string): string {
    return cachePathFor(this.#cacheDir, url, fileName);
  }

  /** Call before aborting `requestId`'s signal: when it leaves its transfer, the partial file goes once the transfer stopped. */
  markClearCache(requestId: string): void {
    this.#clearCacheMarks.delete(requestId);
    this.#clearCacheMarks.add(requestId);
    if (this.#clearCacheMarks.size > MAX_CLEAR_CACHE_MARKS) {
      const oldest = this.#clearCacheMarks.values().next();
      if (!oldest.done) this.#clearCacheMarks.delete(oldest.value);
    }
  }

  /** Resolves when no transfer is running or stopping (cancelled transfers finish closing in the background). */
  async whenIdle(): Promise<void> {
    while (this.#transfers.size > 0) await Promise.all([...this.#transfers.values()].map((transfer) => transfer.finished));
  }

  /**
   * Resolves once a transfer for this target that is being stopped (every
   * subscriber left) has released its socket and file, and deleted the partial
   * file when asked to. Resolves at once when no transfer is stopping, so a
   * cancelled subscriber never waits for a transfer that others still use.
   */
  async whenStopped(url: string, fileName?: string): Promise<void> {
    const transfer = this.#transfers.get(this.pathFor(url, fileName));
    if (transfer?.stopping) await transfer.finished.catch(() => undefined);
  }

  download(request: DownloadRequest): Promise<DownloadAssetResult> {
    const { signal } = request;
    if (signal.aborted) {
      this.#clearCacheMarks.delete(request.requestId);
      return Promise.reject(signal.reason);
    }
    let path: string;
    try {
      path = this.pathFor(request.url, request.fileName);
    } catch (error) {
      this.#clearCacheMarks.delete(request.requestId);
      return Promise.reject(error);
    }
    return new Promise<DownloadAssetResult>((resolve, reject) => {
      const onProgress = request.onProgress;
      const subscriber: Subscriber = {
        requestId: request.requestId,
        sha256: request.sha256?.toLowerCase(),
        signal,
        throttle: new ProgressThrottle((event) => this.#emit(onProgress, event), this.#progressIntervalMs),
        resolve,
        reject,
        onAbort: () => this.#leave(subscriber),
        transfer: null,
        settled: false,
      };
      signal.addEventListener("abort", subscriber.onAbort, { once: true });
      this.#attach(subscriber, path, request.url).catch((error: unknown) => this.#settle(subscriber, { error }));
    });
  }

  /** Joins a running transfer for `path`, answers from the cache, or starts a transfer. */
  async #attach(subscriber: Subscriber, path: string, url: string): Promise<void> {
    for (;;) {
      if (subscriber.settled) return;
      const running = this.#transfers.get(path);
      if (running !== undefined && !running.stopping && running.url === url) {
        this.#join(running, subscriber);
        return;
      }
      if (running !== undefined) {
        // Stopping, or another URL writing the same file: wait for it, then look again.
        await running.finished;
        continue;
      }
      const cached = await findCachedFile(path, url, subscriber.sha256, subscriber.signal, this.#hashMemo, this.#log);
      if (subscriber.settled) return;
      if (cached !== null) {
        this.#log(`download ${url}: cached at ${path}`);
        subscriber.throttle.finish(cached.bytes, null);
        this.#settle(subscriber, { result: { path, bytes: cached.bytes, sha256: cached.sha256, cached: true } });
        return;
      }
      if (this.#transfers.has(path)) continue;
      this.#start(path, url, subscriber);
      return;
    }
  }

  #start(path: string, url: string, first: Subscriber): void {
    const transfer: SharedTransfer = {
      path,
      url,
      controller: new AbortController(),
      subscribers: new Set(),
      rate: new RateMeter(),
      loaded: 0,
      total: null,
      started: false,
      stopping: false,
      clearCache: false,
      finished: Promise.resolve(),
    };
    this.#transfers.set(path, transfer);
    this.#join(transfer, first);
    this.#log(`download ${url}: transfer started -> ${path}`);
    transfer.finished = this.#run(transfer);
  }

  #join(transfer: SharedTransfer, subscriber: Subscriber): void {
    subscriber.transfer = transfer;
    transfer.subscribers.add(subscriber);
    if (transfer.started) subscriber.throttle.update(transfer.loaded, transfer.total, transfer.rate.bytesPerSecond());
  }

  async #run(transfer: SharedTransfer): Promise<void> {
    const partialPath = partialPathFor(transfer.path);
    try {
      const result = await runTransfer({
        url: transfer.url,
        partialPath,
        signal: transfer.controller.signal,
        idleTimeoutMs: this.#idleTimeoutMs,
        logger: this.#log,
        onBytes: (loaded, total) => {
          transfer.started = true;
          transfer.loaded = loaded;
          transfer.total = total;
          transfer.rate.sample(loaded);
          const bytesPerSecond = transfer.rate.bytesPerSecond();
          for (const subscriber of transfer.subscribers) subscriber.throttle.update(loaded, total, bytesPerSecond);
        },
      });
      await this.#complete(transfer, partialPath, result);
    } catch (error) {
      if (transfer.stopping) {
        this.#log(`download ${transfer.url}: transfer stopped, every subscriber left`);
        if (transfer.clearCache) await this.#removePartial(partialPath);
      } else {
        this.#log(`download ${transfer.url}: failed: ${error instanceof Error ? error.message : String(error)}`);
        this.#finishTransfer(transfer, (subscriber) => this.#settle(subscriber, { error }));
      }
    } finally {
      if (this.#transfers.get(transfer.path) === transfer) this.#transfers.delete(transfer.path);
    }
  }

  /** Verifies the checksum(s), renames the partial file into place and answers every subscriber. */
  async #complete(transfer: SharedTransfer, partialPath: string, result: TransferResult): Promise<void> {
    const expected = [...transfer.subscribers].flatMap((subscriber) => (subscriber.sha256 === undefined ? [] : [subscriber.sha256]));
    if (transfer.subscribers.size === 0 && transfer.clearCache) {
      await this.#removePartial(partialPath);
      return;
    }
    if (expected.length > 0 && !expected.includes(result.sha256)) {
      await this.#removePartial(partialPath);
      this.#finishTransfer(transfer, (subscriber) =>
        this.#settle(subscriber, {
          error: new ChecksumMismatchError({ url: transfer.url, expected: subscriber.sha256 ?? expected[0] ?? "", actual: result.sha256 }),
        }),
      );
      return;
    }
    await onDisk(transfer.url, () => rename(partialPath, transfer.path));
    const info = await stat(transfer.path).catch(() => null);
    if (info !== null) this.#hashMemo.set(transfer.path, { size: info.size, mtimeMs: info.mtimeMs, sha256: result.sha256 });
    this.#log(`download ${transfer.url}: complete (${result.bytes} bytes) -> ${transfer.path}`);
    const bytesPerSecond = transfer.rate.bytesPerSecond();
    this.#finishTransfer(transfer, (subscriber) => {
      if (subscriber.sha256 !== undefined && subscriber.sha256 !== result.sha256) {
        this.#settle(subscriber, {
          error: new ChecksumMismatchError({ url: transfer.url, expected: subscriber.sha256, actual: result.sha256 }),
        });
        return;
      }
      subscriber.throttle.finish(result.bytes, bytesPerSecond);
      this.#settle(subscriber, { result: { path: transfer.path, bytes: result.bytes, sha256: result.sha256, cached: false } });
    });
  }

  /** Takes the transfer out of the map (so later calls look at the cache again), then answers its subscribers. */
  #finishTransfer(transfer: SharedTransfer, answer: (subscriber: Subscriber) => void): void {
    if (this.#transfers.get(transfer.path) === transfer) this.#transfers.delete(transfer.path);
    for (const subscriber of [...transfer.subscribers]) answer(subscriber);
  }

  async #removePartial(partialPath: string): Promise<void> {
    await rm(partialPath, { force: true }).catch((error: unknown) => this.#log(`download: could not delete ${partialPath}: ${String(error)}`));
  }

  /** A subscriber's signal aborted: reject it now; stop the transfer when it was the last one. */
  #leave(subscriber: Subscriber): void {
    if (subscriber.settled) return;
    const transfer = subscriber.transfer;
    const clearCache = this.#clearCacheMarks.has(subscriber.requestId);
    this.#settle(subscriber, { error: subscriber.signal.reason });
    if (transfer === null) return;
    if (clearCache) transfer.clearCache = true;
    if (transfer.subscribers.size === 0 && !transfer.stopping && this.#transfers.get(transfer.path) === transfer) {
      transfer.stopping = true;
      this.#log(`download ${transfer.url}: last subscriber left; aborting the transfer${clearCache ? " and deleting the partial file" : ""}`);
      transfer.controller.abort(subscriber.signal.reason);
    }
  }

  #settle(subscriber: Subscriber, outcome: { result: DownloadAssetResult } | { error: unknown }): void {
    if (subscriber.settled) return;
    subscriber.settled = true;
    subscriber.signal.removeEventListener("abort", subscriber.onAbort);
    subscriber.transfer?.subscribers.delete(subscriber);
    this.#clearCacheMarks.delete(subscriber.requestId);
    if ("result" in outcome) subscriber.resolve(outcome.result);
    else subscriber.reject(outcome.error);
  }

  #emit(onProgress: ((progress: ProgressEvent) => void) | undefined, event: ProgressEvent): void {
    if (onProgress === undefined) return;
    try {
      onProgress(event);
    } catch (error) {
      this.#log(`download: onProgress threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
