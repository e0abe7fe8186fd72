import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { getEventListeners } from "node:events";
import { join } from "node:path";
import { ChecksumMismatchError, DownloadFailedError, InvalidInputError } from "@rein/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closedPort, randomAsset, startAssetServer, type AssetServer } from "../../../../test/helpers/asset-server.ts";
import { recordProgress, rejectionOf, sha256Of } from "../../../../test/helpers/download-kit.ts";
import { makeTempDir } from "../../../../test/helpers/temp-dir.ts";
import { DownloadManager } from "./index.ts";

const exists = (path: string) => stat(path).then(() => true, () => false);


describe("DownloadManager", () => {
  let server: AssetServer;
  let temp: { path: string; remove: () => Promise<void> };
  let manager: DownloadManager;
  let requestNo = 0;
  const request = (url: string, extra: { sha256?: string; fileName?: string; signal?: AbortSignal } = {}) => ({
    requestId: `req-${++requestNo}`,
    url,
    signal: extra.signal ?? new AbortController().signal,
    ...(extra.sha256 !== undefined ? { sha256: extra.sha256 } : {}),
    ...(extra.fileName !== undefined ? { fileName: extra.fileName } : {}),
  });

  beforeEach(async () => {
    server = await startAssetServer();
    temp = await makeTempDir("rein-download-");
    manager = new DownloadManager({ cacheDir: join(temp.path, "cache") });
  });
  afterEach(async () => {
    await manager.whenIdle();
    expect(manager.activeTransfers).toBe(0);
    await server.close();
    await temp.remove();
  });

  it("downloads into the cache with throttled progress; the last event is done with loaded === total", async () => {
    const asset = randomAsset(512 * 1024, 3);
    server.setAsset("/model.gguf", asset, { dripBytesPerChunk: 8 * 1024, dripIntervalMs: 2 });
    manager = new DownloadManager({ cacheDir: join(temp.path, "cache"), progressIntervalMs: 40 });
    const progress = recordProgress();
    const signal = new AbortController().signal;
    const result = await manager.download({ ...request(server.url("/model.gguf")), signal, onProgress: progress.onProgress });

    expect(result).toEqual({ path: manager.pathFor(server.url("/model.gguf")), bytes: asset.length, sha256: sha256Of(asset), cached: false });
    expect(result.path.startsWith(join(temp.path, "cache"))).toBe(true);
    expect(result.path.endsWith("-model.gguf")).toBe(true);
    expect((await readFile(result.path)).equals(asset)).toBe(true);
    expect(await exists(`${result.path}.partial`)).toBe(false);

    const { events, times } = progress;
    const last = events[events.length - 1];
    expect(last).toMatchObject({ phase: "download", done: true, loaded: asset.length, total: asset.length });
    expect(events.filter((event) => event.done)).toHaveLength(1);
    // Throttled: far fewer events than the 64 chunks, and never two non-final events within the interval.
    expect(events.length).toBeLessThan(64);
    for (let i = 1; i < events.length - 1; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(39);
    for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
    expect(events.every((event) => event.total === null || event.total === asset.length)).toBe(true);
    expect(events.some((event) => (event.bytesPerSecond ?? 0) > 0)).toBe(true);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    await server.waitForIdle();
  });

  it("answers a second call from the cache without an HTTP request", async () => {
    const asset = randomAsset(100_000);
    server.setAsset("/a.bin", asset);
    const first = await manager.download(request(server.url("/a.bin"), { sha256: sha256Of(asset) }));
    const progress = recordProgress();
    const second = await manager.download({ ...request(server.url("/a.bin"), { sha256: sha256Of(asset).toUpperCase() }), onProgress: progress.onProgress });
    expect(second).toEqual({ ...first, cached: true });
    expect(progress.events).toEqual([{ phase: "download", loaded: asset.length, total: asset.length, bytesPerSecond: null, done: true }]);
    expect(server.stats.requests).toBe(1);
    // A fresh manager (no memo) hashes the file and still answers from the cache.
    const fresh = new DownloadManager({ cacheDir: join(temp.path, "cache") });
    expect(await fresh.download(request(server.url("/a.bin")))).toEqual({ ...first, cached: true });
    expect(server.stats.requests).toBe(1);
  });

  it("downloads again when the cached file does not match the expected sha256", async () => {
    const asset = randomAsset(10_000);
    server.setAsset("/a.bin", asset);
    const path = manager.pathFor(server.url("/a.bin"));
    await mkdir(join(temp.path, "cache"), { recursive: true });
    await writeFile(path, "stale");
    const result = await manager.download(request(server.url("/a.bin"), { sha256: sha256Of(asset) }));
    expect(result.cached).toBe(false);
    expect((await readFile(path)).equals(asset)).toBe(true);
  });

  it("resumes an interrupted transfer with a Range request", async () => {
    const asset = randomAsset(1_000_000, 5);
    server.setAsset("/big.bin", asset, { failAfterBytes: 300_000 });
    const url = server.url("/big.bin");
    const failure = await rejectionOf(manager.download(request(url)));
    expect(failure).toBeInstanceOf(DownloadFailedError);
    expect((failure as DownloadFailedError).failure).toBe("network");
    const partial = `${manager.pathFor(url)}.partial`;
    const kept = (await stat(partial)).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(300_000);

    server.setAsset("/big.bin", asset);
    const sentBefore = server.stats.bytesSent;
    const progress = recordProgress();
    const result = await manager.download({ ...request(url, { sha256: sha256Of(asset) }), onProgress: progress.onProgress });
    expect(server.requestLog.at(-1)).toMatchObject({ path: "/big.bin", range: `bytes=${kept}-` });
    expect(server.stats.bytesSent - sentBefore).toBe(asset.length - kept);
    expect(result).toMatchObject({ bytes: asset.length, sha256: sha256Of(asset), cached: false });
    expect((await readFile(result.path)).equals(asset)).toBe(true);
    expect(progress.events[0]!.loaded).toBeGreaterThanOrEqual(kept);
    expect(progress.events.at(-1)).toMatchObject({ done: true, loaded: asset.length, total: asset.length });
    expect(await exists(partial)).toBe(false);
  });

  it("starts over cleanly when the server ignores Range", async () => {
    const asset = randomAsset(400_000, 9);
    server.setAsset("/x.bin", asset, { failAfterBytes: 150_000 });
    const url = server.url("/x.bin");
    await rejectionOf(manager.download(request(url)));
    server.setAsset("/x.bin", asset, { ignoreRange: true });
    const result = await manager.download(request(url, { sha256: sha256Of(asset) }));
    expect(server.stats.rangeRequests).toBe(1);
    expect(result.bytes).toBe(asset.length);
    expect((await readFile(result.path)).equals(asset)).toBe(true);
  });

  it("finishes a partial file that is already complete (416 for the range)", async () => {
    const asset = randomAsset(5000);
    server.setAsset("/done.bin", asset);
    const url = server.url("/done.bin");
    await mkdir(join(temp.path, "cache"), { recursive: true });
    await writeFile(`${manager.pathFor(url)}.partial`, asset);
    const result = await manager.download(request(url, { sha256: sha256Of(asset) }));
    expect(result).toMatchObject({ bytes: 5000, cached: false, sha256: sha256Of(asset) });
    expect(server.stats.bytesSent).toBe(0);
  });

  it("fails with 'network' when the server goes silent longer than idleTimeoutMs, keeping the partial", async () => {
    server.setAsset("/stall.bin", randomAsset(100_000), { dripBytesPerChunk: 10_000, dripIntervalMs: 5_000 });
    manager = new DownloadManager({ cacheDir: join(temp.path, "cache"), idleTimeoutMs: 100 });
    const url = server.url("/stall.bin");
    const error = await rejectionOf(manager.download(request(url)));
    expect(error).toMatchObject({ name: "DownloadFailedError", failure: "network" });
    expect((await stat(`${manager.pathFor(url)}.partial`)).size).toBe(10_000);
    expect((error as DownloadFailedError).message).toMatch(/the 10000 bytes received are kept and the next download resumes/);
    await server.waitForAbort("/stall.bin");
  });

  it("a refused connection fails with 'network', promises no resume and leaves no partial file", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/model.gguf`;
    const error = await rejectionOf(manager.download(request(url)));
    expect(error).toMatchObject({ name: "DownloadFailedError", failure: "network", url });
    const message = (error as DownloadFailedError).message;
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).toMatch(/nothing was downloaded/);
    expect(message).not.toMatch(/kept|resume/);
    expect(await exists(`${manager.pathFor(url)}.partial`)).toBe(false);
  });

  it("follows redirects", async () => {
    const asset = randomAsset(3000);
    server.setAsset("/real.bin", asset);
    server.setRedirect("/alias.bin", server.url("/real.bin"), 307);
    const result = await manager.download(request(server.url("/alias.bin")));
    expect((await readFile(result.path)).equals(asset)).toBe(true);
  });

  it("rejects a redirect to an unparseable URL with DownloadFailedError (network), like any other failed redirect", async () => {
    server.setRedirect("/broken.bin", "http://[::1", 302);
    const error = await rejectionOf(manager.download(request(server.url("/broken.bin"))));
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect(error).toMatchObject({ failure: "network", url: server.url("/broken.bin") });
    expect((error as Error).message).toMatch(/invalid URL/);
    expect(await readdir(join(temp.path, "cache"))).toEqual([]);
  });

  it("rejects an HTTP error status with DownloadFailedError (http, status) and leaves no file", async () => {
    const error = await rejectionOf(manager.download(request(server.url("/nope.bin"))));
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect(error).toMatchObject({ failure: "http", status: 404, url: server.url("/nope.bin") });
    expect(await readdir(join(temp.path, "cache"))).toEqual([]);

    server.setAsset("/busy.bin", Buffer.from("try later"), { status: 503 });
    expect(await rejectionOf(manager.download(request(server.url("/busy.bin"))))).toMatchObject({ failure: "http", status: 503 });
  });

  it("rejects a checksum mismatch with ChecksumMismatchError and leaves no file", async () => {
    const asset = randomAsset(20_000);
    server.setAsset("/c.bin", asset);
    const expected = "0".repeat(64);
    const error = await rejectionOf(manager.download(request(server.url("/c.bin"), { sha256: expected })));
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error).toMatchObject({ expected, actual: sha256Of(asset), url: server.url("/c.bin") });
    expect(await readdir(join(temp.path, "cache"))).toEqual([]);
  });

  it("reports file-system errors as failure 'disk'", async () => {
    const asset = randomAsset(1000);
    server.setAsset("/d.bin", asset);
    // The cache directory is a regular file.
    const fileAsDir = join(temp.path, "not-a-dir");
    await writeFile(fileAsDir, "x");
    const blocked = new DownloadManager({ cacheDir: fileAsDir });
    const error = await rejectionOf(blocked.download(request(server.url("/d.bin"))));
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect(error).toMatchObject({ failure: "disk", status: null });
    expect(blocked.activeTransfers).toBe(0);

    // The partial file's path is a directory (EISDIR).
    await mkdir(`${manager.pathFor(server.url("/d.bin"))}.partial`, { recursive: true });
    expect(await rejectionOf(manager.download(request(server.url("/d.bin"))))).toMatchObject({ failure: "disk" });
  });

  it.each(["../escape.bin", "a/b.bin", "..", ".", "a\\b.bin", "x\0y", "evil.bin.partial", ""])(
    "refuses the fileName %j with InvalidInputError and makes no request",
    async (fileName) => {
      server.setAsset("/t.bin", randomAsset(100));
      const error = await rejectionOf(manager.download(request(server.url("/t.bin"), { fileName })));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ field: "fileName" });
      expect(() => manager.pathFor(server.url("/t.bin"), fileName)).toThrow(InvalidInputError);
      expect(server.stats.requests).toBe(0);
      expect(await readdir(temp.path)).toEqual([]);
    },
  );

  it("stores a valid fileName directly in the cache directory", async () => {
    server.setAsset("/t.bin", randomAsset(100));
    const result = await manager.download(request(server.url("/t.bin"), { fileName: "my model.gguf" }));
    expect(result.path).toBe(join(temp.path, "cache", "my model.gguf"));
  });

  it("never contacts the server for an already aborted signal", async () => {
    server.setAsset("/p.bin", randomAsset(100));
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(manager.download(request(server.url("/p.bin"), { signal: controller.signal }))).rejects.toBe(reason);
    expect(manager.activeTransfers).toBe(0);
    expect(server.stats.requests).toBe(0);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("survives an onProgress callback that throws", async () => {
    server.setAsset("/q.bin", randomAsset(50_000));
    const logs: string[] = [];
    manager = new DownloadManager({ cacheDir: join(temp.path, "cache"), logger: (message) => logs.push(message) });
    const result = await manager.download({
      ...request(server.url("/q.bin")),
      onProgress: () => {
        throw new Error("listener bug");
      },
    });
    expect(result.bytes).toBe(50_000);
    expect(logs.some((line) => line.includes("listener bug"))).toBe(true);
  });
});
