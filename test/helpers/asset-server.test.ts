import { request, type IncomingMessage } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { randomAsset, startAssetServer, type AssetServer } from "./asset-server.ts";

function get(url: string, headers: Record<string, string> = {}): Promise<{ response: IncomingMessage; body: Promise<Buffer> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (response) => {
      const body = new Promise<Buffer>((ok, fail) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => ok(Buffer.concat(chunks)));
        response.on("error", fail);
        response.on("aborted", () => fail(new Error("aborted")));
      });
      body.catch(() => {});
      resolve({ response, body });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("asset server", () => {
  let server: AssetServer;
  beforeEach(async () => {
    server = await startAssetServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it("randomAsset is deterministic per seed", () => {
    expect(randomAsset(1000, 7).equals(randomAsset(1000, 7))).toBe(true);
    expect(randomAsset(1000, 7).equals(randomAsset(1000, 8))).toBe(false);
    expect(randomAsset(13).length).toBe(13);
  });

  it("binds to 127.0.0.1 and serves a body with Content-Length", async () => {
    const body = randomAsset(200_000);
    server.setAsset("/a.bin", body);
    expect(server.url("/a.bin")).toBe(`http://127.0.0.1:${server.port}/a.bin`);
    const { response, body: received } = await get(server.url("/a.bin"));
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-length"]).toBe("200000");
    expect((await received).equals(body)).toBe(true);
    expect(server.stats).toMatchObject({ requests: 1, rangeRequests: 0, completedResponses: 1, abortedResponses: 0, bytesSent: 200_000 });
  });

  it("answers 404 for unknown paths", async () => {
    const { response, body } = await get(server.url("/missing"));
    expect(response.statusCode).toBe(404);
    expect(Number(response.headers["content-length"])).toBe((await body).length);
  });

  it("honours Range with 206 and Content-Range, unless ignoreRange", async () => {
    const body = randomAsset(1000);
    server.setAsset("/r", body);
    const ranged = await get(server.url("/r"), { Range: "bytes=600-" });
    expect(ranged.response.statusCode).toBe(206);
    expect(ranged.response.headers["content-range"]).toBe("bytes 600-999/1000");
    expect((await ranged.body).equals(body.subarray(600))).toBe(true);

    const beyond = await get(server.url("/r"), { Range: "bytes=1000-" });
    expect(beyond.response.statusCode).toBe(416);
    expect(beyond.response.headers["content-range"]).toBe("bytes */1000");

    server.setAsset("/r", body, { ignoreRange: true });
    const ignored = await get(server.url("/r"), { Range: "bytes=600-" });
    expect(ignored.response.statusCode).toBe(200);
    expect((await ignored.body).length).toBe(1000);
    expect(server.stats.rangeRequests).toBe(3);
    expect(server.requestLog.map((entry) => entry.range)).toEqual(["bytes=600-", "bytes=1000-", "bytes=600-"]);
  });

  it("cuts the connection after failAfterBytes without counting it as a client abort", async () => {
    server.setAsset("/f", randomAsset(100_000), { failAfterBytes: 30_000, dripBytesPerChunk: 10_000 });
    const { response, body } = await get(server.url("/f"));
    expect(response.headers["content-length"]).toBe("100000");
    await expect(body).rejects.toThrow();
    await server.waitForIdle();
    expect(server.stats.bytesSent).toBe(30_000);
    expect(server.stats.abortedResponses).toBe(0);
    expect(server.stats.completedResponses).toBe(0);
  });

  it("uses a custom status", async () => {
    server.setAsset("/s", Buffer.from("boom"), { status: 503 });
    const { response, body } = await get(server.url("/s"));
    expect(response.statusCode).toBe(503);
    expect((await body).toString()).toBe("boom");
  });

  it("drips slowly and counts a client abort; waitForRequest/waitForAbort resolve without sleeps", async () => {
    server.setAsset("/slow", randomAsset(1_000_000), { dripBytesPerChunk: 1000, dripIntervalMs: 20 });
    const waiting = server.waitForRequest("/slow", 1);
    const { response } = await get(server.url("/slow"));
    await waiting;
    await new Promise<void>((resolve) => response.once("data", () => resolve()));
    response.destroy();
    await server.waitForAbort("/slow");
    expect(server.stats.abortedResponses).toBe(1);
    expect(server.stats.bytesSent).toBeLessThan(1_000_000);
    await server.waitForIdle();
    expect(server.openConnections).toBe(0);
    // Counts include earlier events: these resolve at once.
    await server.waitForRequest("/slow");
    await server.waitForAbort("/slow");
  });

  it("redirects", async () => {
    server.setAsset("/target", Buffer.from("hello"));
    server.setRedirect("/from", "/target");
    const { response } = await get(server.url("/from"));
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe("/target");
  });
});
