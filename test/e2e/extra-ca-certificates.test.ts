import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DownloadFailedError, type ReinClient } from "@rein/sdk";
import { rejectionOf, sha256Of } from "../helpers/download-kit.ts";
import { randomAsset } from "../helpers/asset-server.ts";
import { createTestClient } from "../helpers/rein-test-client.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// The SDK hands a built-in worker NODE_EXTRA_CA_CERTS's file under another name, so Node does not parse it at the
// worker's start, and the worker's HTTPS download reads it instead. These tests run a real HTTPS server on
// 127.0.0.1 whose certificate only that file makes trusted.
const certificateFile = fileURLToPath(new URL("../fixtures/tls/loopback-cert.pem", import.meta.url));
const keyFile = fileURLToPath(new URL("../fixtures/tls/loopback-key.pem", import.meta.url));
const testOps = new URL("../fixtures/test-ops.ts", import.meta.url);

/** A client whose worker is spawned with `NODE_EXTRA_CA_CERTS` set as given (or unset), the test's own env restored after. */
async function clientWith(extraCertificates: string | undefined, options: Parameters<typeof createTestClient>[0]): Promise<ReinClient> {
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  if (extraCertificates === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
  else process.env.NODE_EXTRA_CA_CERTS = extraCertificates;
  try {
    const client = createTestClient(options);
    await client.ready();
    return client;
  } finally {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
  }
}

/** The worker process's environment as the kernel has it (Linux, where this suite runs). */
async function environmentOf(client: ReinClient): Promise<Map<string, string>> {
  const raw = await readFile(`/proc/${client.workerPid}/environ`, "utf8");
  return new Map(raw.split("\0").filter(Boolean).map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}

describe("NODE_EXTRA_CA_CERTS and the worker", () => {
  const asset = randomAsset(256 * 1024, 11);
  let server: Server;
  let url: string;
  let cache: Awaited<ReturnType<typeof makeTempDir>>;
  const clients: ReinClient[] = [];

  beforeAll(async () => {
    cache = await makeTempDir();
    server = createServer({ key: await readFile(keyFile), cert: await readFile(certificateFile) }, (request, response) => {
      if (request.url !== "/asset.bin") return void response.writeHead(404).end();
      response.writeHead(200, { "Content-Length": asset.length }).end(asset);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/asset.bin`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await cache.remove();
  });

  it("a built-in worker starts without it, and its HTTPS download still trusts the certificates it names", async () => {
    const client = await clientWith(certificateFile, { cacheDir: `${cache.path}/handed-over` });
    clients.push(client);
    const environment = await environmentOf(client);
    expect(environment.has("NODE_EXTRA_CA_CERTS")).toBe(false);
    expect(environment.get("REIN_WORKER_EXTRA_CA_CERTS")).toBe(certificateFile);

    const result = await client.downloadAsset({ url, sha256: sha256Of(asset) });
    expect(result).toMatchObject({ bytes: asset.length, sha256: sha256Of(asset), cached: false });
  });

  it("without the certificate the same download fails as a typed network error naming the certificate problem", async () => {
    const client = await clientWith(undefined, { cacheDir: `${cache.path}/untrusted` });
    clients.push(client);
    const failed = await rejectionOf(client.downloadAsset({ url }));
    expect(failed).toBeInstanceOf(DownloadFailedError);
    expect(failed).toMatchObject({ failure: "network" });
    expect((failed as Error).message).toMatch(/certificate/i);
  });

  it("a worker with op modules keeps NODE_EXTRA_CA_CERTS as it is, for the HTTPS requests of their own", async () => {
    const client = await clientWith(certificateFile, { cacheDir: `${cache.path}/op-modules`, opModules: [testOps] });
    clients.push(client);
    const environment = await environmentOf(client);
    expect(environment.get("NODE_EXTRA_CA_CERTS")).toBe(certificateFile);
    expect(environment.has("REIN_WORKER_EXTRA_CA_CERTS")).toBe(false);
    const result = await client.downloadAsset({ url, sha256: sha256Of(asset) });
    expect(result).toMatchObject({ bytes: asset.length, cached: false });
  });
});
