import { readFile, stat } from "node:fs/promises";
import { getEventListeners } from "node:events";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { randomAsset, startAssetServer, type AssetServer } from "../../../../test/helpers/asset-server.ts";
import { recordProgress, sha256Of } from "../../../../test/helpers/download-kit.ts";
import { makeTempDir } from "../../../../test/helpers/temp-dir.ts";
import { DownloadManager } from "./index.ts";

const exists = (path: string) => stat(path).then(() => true, () => false);
const ASSET = randomAsset(1_000_000, 11);
/** Slow enough (~64 chunks x 10 ms) that cancels land mid-transfer; the tests wait on events, never on time. */
const SLOW = { dripBytesPerChunk: 16 * 1024, dripIntervalMs: 10 };

describe("DownloadManager subscribers (dedup, cancel, clearCache)", () => {
  let server: AssetServer;
  let temp: { path: string; remove: () => Promise<void> };
  let manager: DownloadManager;
  let url: string;

  const subscribe = (requestId: string, extra: { sha256?: string } = {}) => {
    const controller = new AbortController();
    const progress = recordProgress();
    const promise = manager.download({ requestId, url, signal: controller.signal, onProgress: progress.onProgress, ...extra });
    promise.catch(() => {});
    return { controller, progress, promise, signal: controller.signal };
  };

  beforeEach(async () => {
    server = await startAssetServer();
    server.setAsset("/shared.bin", ASSET, SLOW);
    url = server.url("/shared.bin");
    temp = await makeTempDir("rein-download-subs-");
    manager = new DownloadManager({ cacheDir: join(temp.path, "cache"), progressIntervalMs: 0 });
  });
  afterEach(async () => {
    await manager.whenIdle();
    expect(manager.activeTransfers).toBe(0);
    await server.close();
    await temp.remove();
  });

  it("shares one transfer between two subscribers; both get progress and the result", async () => {
    const a = subscribe("a");
    const b = subscribe("b", { sha256: sha256Of(ASSET) });
    const [resultA, resultB] = await Promise.all([a.promise, b.promise]);
    expect(server.stats.requests).toBe(1);
    expect(resultA).toEqual(resultB);
    expect(resultA).toMatchObject({ bytes: ASSET.length, sha256: sha256Of(ASSET), cached: false });
    for (const { progress } of [a, b]) {
      expect(progress.events.length).toBeGreaterThan(1);
      expect(progress.events.at(-1)).toMatchObject({ done: true, loaded: ASSET.length, total: ASSET.length });
    }
    expect(getEventListeners(a.signal, "abort")).toHaveLength(0);
    expect(getEventListeners(b.signal, "abort")).toHaveLength(0);
  });

  it("a subscriber that joins mid-transfer shares it", async () => {
    const a = subscribe("a");
    await a.progress.when((event) => event.loaded > 0);
    const b = subscribe("b");
    await Promise.all([a.promise, b.promise]);
    expect(server.stats.requests).toBe(1);
    expect(b.progress.events.at(-1)).toMatchObject({ done: true, loaded: ASSET.length });
  });

  it("cancelling one of two subscribers rejects only it, at once; the other completes", async () => {
    const a = subscribe("a");
    const b = subscribe("b");
    await a.progress.when((event) => event.loaded > 0);
    const reason = new Error("cancelled by user");
    a.controller.abort(reason);
    await expect(a.promise).rejects.toBe(reason);
    // Rejected while the transfer is still running.
    expect(manager.activeTransfers).toBe(1);
    expect(getEventListeners(a.signal, "abort")).toHaveLength(0);
    const eventsAtCancel = a.progress.events.length;

    const result = await b.promise;
    expect((await readFile(result.path)).equals(ASSET)).toBe(true);
    expect(a.progress.events.length).toBe(eventsAtCancel);
    expect(server.stats.requests).toBe(1);
    expect(server.stats.abortedResponses).toBe(0);
  });

  it("the last subscriber leaving aborts the transfer and keeps the partial file for resume", async () => {
    const a = subscribe("a");
    const b = subscribe("b");
    await a.progress.when((event) => event.loaded > 0);
    a.controller.abort(new Error("a"));
    b.controller.abort(new Error("b"));
    await expect(a.promise).rejects.toThrow("a");
    await expect(b.promise).rejects.toThrow("b");
    await server.waitForAbort("/shared.bin");
    await manager.whenIdle();
    expect(manager.activeTransfers).toBe(0);
    const partial = `${manager.pathFor(url)}.partial`;
    const kept = (await stat(partial)).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(ASSET.length);
    await server.waitForIdle();
    expect(server.openConnections).toBe(0);

    // The next download resumes from the kept bytes.
    server.setAsset("/shared.bin", ASSET);
    const result = await manager.download({ requestId: "c", url, signal: new AbortController().signal, sha256: sha256Of(ASSET) });
    expect(server.requestLog.at(-1)?.range).toBe(`bytes=${kept}-`);
    expect(result.sha256).toBe(sha256Of(ASSET));
  });

  it("clearCache on the leaving subscriber deletes the partial file once the transfer stopped", async () => {
    const a = subscribe("a");
    await a.progress.when((event) => event.loaded > 0);
    const partial = `${manager.pathFor(url)}.partial`;
    expect(await exists(partial)).toBe(true);
    manager.markClearCache("a");
    a.controller.abort(new Error("cancel + clearCache"));
    await expect(a.promise).rejects.toThrow("cancel + clearCache");
    await server.waitForAbort("/shared.bin");
    await manager.whenIdle();
    expect(await exists(partial)).toBe(false);
    expect(await exists(manager.pathFor(url))).toBe(false);
  });

  it("clearCache from an early leaver is applied when the last subscriber leaves", async () => {
    const a = subscribe("a");
    const b = subscribe("b");
    await a.progress.when((event) => event.loaded > 0);
    manager.markClearCache("a");
    a.controller.abort(new Error("a"));
    await expect(a.promise).rejects.toThrow("a");
    expect(await exists(`${manager.pathFor(url)}.partial`)).toBe(true);
    b.controller.abort(new Error("b"));
    await expect(b.promise).rejects.toThrow("b");
    await manager.whenIdle();
    expect(await exists(`${manager.pathFor(url)}.partial`)).toBe(false);
  });

  it("clearCache does not throw away a download that another subscriber completes", async () => {
    const a = subscribe("a");
    const b = subscribe("b");
    await a.progress.when((event) => event.loaded > 0);
    manager.markClearCache("a");
    a.controller.abort(new Error("a"));
    const result = await b.promise;
    expect((await readFile(result.path)).equals(ASSET)).toBe(true);
  });

  it("a subscriber arriving while a transfer stops waits for it, then resumes in a new transfer", async () => {
    const a = subscribe("a");
    await a.progress.when((event) => event.loaded > 0);
    a.controller.abort(new Error("a"));
    const b = subscribe("b");
    await expect(a.promise).rejects.toThrow("a");
    const result = await b.promise;
    expect(server.stats.requests).toBe(2);
    expect(server.requestLog[1]?.range).toMatch(/^bytes=\d+-$/);
    expect((await readFile(result.path)).equals(ASSET)).toBe(true);
  });

  it("a subscriber with a mismatching sha256 fails while a matching one succeeds", async () => {
    const good = subscribe("good", { sha256: sha256Of(ASSET) });
    const bad = subscribe("bad", { sha256: "f".repeat(64) });
    await expect(bad.promise).rejects.toMatchObject({ name: "ChecksumMismatchError", expected: "f".repeat(64) });
    expect((await good.promise).sha256).toBe(sha256Of(ASSET));
  });
});
