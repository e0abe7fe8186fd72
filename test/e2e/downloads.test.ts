import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChecksumMismatchError,
  DownloadFailedError,
  InferenceCancelledError,
  InvalidInputError,
  type ReinClient,
} from "@rein/sdk";
import { randomAsset, startAssetServer, type AssetServer } from "../helpers/asset-server.ts";
import { recordProgress, rejectionOf, sha256Of } from "../helpers/download-kit.ts";
import { createTestClient } from "../helpers/rein-test-client.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("downloadAsset through the real worker", () => {
  let server: AssetServer;
  let cache: Awaited<ReturnType<typeof makeTempDir>>;
  let client: ReinClient;
  const downloadsDir = () => join(cache.path, "downloads");
  const partialFiles = async () => (await readdir(downloadsDir()).catch(() => [] as string[])).filter((name) => name.endsWith(".partial"));

  beforeAll(async () => {
    server = await startAssetServer();
    cache = await makeTempDir();
    client = createTestClient({ cacheDir: cache.path });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
    await cache.remove();
  });

  it("downloads with throttled progress, verifies sha256, and serves the second call from the cache", async () => {
    const asset = randomAsset(2 << 20, 7);
    server.setAsset("/a.bin", asset, { dripBytesPerChunk: 64 * 1024, dripIntervalMs: 2 });
    const progress = recordProgress();
    const download = client.downloadAsset({ url: server.url("/a.bin"), sha256: sha256Of(asset), onProgress: progress.onProgress });
    expect(download.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const result = await download;
    expect(result).toMatchObject({ bytes: asset.length, sha256: sha256Of(asset), cached: false });
    expect(sha256Of(await readFile(result.path))).toBe(sha256Of(asset));
    // Throttled: far fewer events than the 32 chunks, and the last one reports completion.
    expect(progress.events.length).toBeGreaterThan(0);
    expect(progress.events.length).toBeLessThan(32);
    expect(progress.events.at(-1)).toMatchObject({ phase: "download", loaded: asset.length, total: asset.length, done: true });

    const requestsBefore = server.stats.requests;
    const again = await client.downloadAsset({ url: server.url("/a.bin") });
    expect(again).toMatchObject({ cached: true, sha256: sha256Of(asset) });
    expect(server.stats.requests).toBe(requestsBefore);
  });

  it("resumes an interrupted transfer with HTTP Range; the file is identical", async () => {
    const asset = randomAsset(1 << 20, 8);
    server.setAsset("/r.bin", asset, { failAfterBytes: 300_000 });
    const failed = await rejectionOf(client.downloadAsset({ url: server.url("/r.bin") }));
    expect(failed).toBeInstanceOf(DownloadFailedError);
    expect(failed).toMatchObject({ failure: "network" });
    expect(await partialFiles()).toHaveLength(1);

    server.setAsset("/r.bin", asset);
    const rangeBefore = server.stats.rangeRequests;
    const result = await client.downloadAsset({ url: server.url("/r.bin") });
    expect(server.stats.rangeRequests).toBe(rangeBefore + 1);
    expect(server.requestLog.at(-1)?.range).toMatch(/^bytes=\d+-$/);
    expect(sha256Of(await readFile(result.path))).toBe(sha256Of(asset));
    expect(await partialFiles()).toEqual([]);
  });

  it("two requests for one URL share one transfer; cancelling one leaves the other to finish", async () => {
    const asset = randomAsset(1 << 20, 9);
    server.setAsset("/d.bin", asset, { dripBytesPerChunk: 32 * 1024, dripIntervalMs: 5 });
    const requestsBefore = server.requestsFor("/d.bin");
    const firstProgress = recordProgress();
    const secondProgress = recordProgress();
    const first = client.downloadAsset({ url: server.url("/d.bin"), onProgress: firstProgress.onProgress });
    const second = client.downloadAsset({ url: server.url("/d.bin"), onProgress: secondProgress.onProgress });
    // Both are subscribed to the running transfer once both have seen bytes.
    await Promise.all([firstProgress.when((event) => event.loaded > 0), secondProgress.when((event) => event.loaded > 0)]);
    expect(await first.cancel()).toEqual({ cancelled: 1 });
    await expect(first).rejects.toBeInstanceOf(InferenceCancelledError);
    const result = await second;
    expect(sha256Of(await readFile(result.path))).toBe(sha256Of(asset));
    expect(server.requestsFor("/d.bin")).toBe(requestsBefore + 1);
  });

  it("the last subscriber's cancel aborts the transfer and keeps the partial file; clearCache deletes it", async () => {
    const asset = randomAsset(4 << 20, 10);
    server.setAsset("/c.bin", asset, { dripBytesPerChunk: 16 * 1024, dripIntervalMs: 5 });
    const progress = recordProgress();
    const download = client.downloadAsset({ url: server.url("/c.bin"), onProgress: progress.onProgress });
    await progress.when((event) => event.loaded > 0);
    expect(await download.cancel()).toEqual({ cancelled: 1 });
    await expect(download).rejects.toMatchObject({ code: 52419, requestId: download.requestId });
    await server.waitForAbort("/c.bin");
    expect(await partialFiles()).toHaveLength(1);

    const resumed = recordProgress();
    const second = client.downloadAsset({ url: server.url("/c.bin"), onProgress: resumed.onProgress });
    await resumed.when((event) => event.loaded > 0);
    expect(await client.cancel({ requestId: second.requestId, clearCache: true })).toEqual({ cancelled: 1 });
    await expect(second).rejects.toBeInstanceOf(InferenceCancelledError);
    await server.waitForAbort("/c.bin", 2);
    // The worker deletes the partial once its transfer stopped; its registry entry ends after that.
    expect((await client.inspect()).requests).toEqual([]);
    expect(await partialFiles()).toEqual([]);
  });

  it("HTTP errors, checksum mismatches, bad URLs and path tricks give typed errors", async () => {
    const missing = await rejectionOf(client.downloadAsset({ url: server.url("/nope.bin") }));
    expect(missing).toBeInstanceOf(DownloadFailedError);
    expect(missing).toMatchObject({ code: 53000, failure: "http", status: 404 });

    server.setAsset("/m.bin", randomAsset(50_000, 11));
    const mismatch = await rejectionOf(client.downloadAsset({ url: server.url("/m.bin"), sha256: "0".repeat(64) }));
    expect(mismatch).toBeInstanceOf(ChecksumMismatchError);
    expect(mismatch).toMatchObject({ code: 53002, expected: "0".repeat(64) });

    await expect(client.downloadAsset({ url: "ftp://127.0.0.1/x" })).rejects.toMatchObject({ code: 50001, field: "url" });
    await expect(client.downloadAsset({ url: "not a url" })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(client.downloadAsset({ url: server.url("/m.bin"), fileName: "../escape.bin" })).rejects.toMatchObject({
      code: 50001,
      field: "fileName",
    });
    expect((await client.inspect()).requests).toEqual([]);
  });
});
