/**
 * `rein serve`: loads the operator's models (with progress bars on stderr),
 * listens, prints the bound URL on stdout, and on SIGINT/SIGTERM closes every
 * connection (each close cancels its request), then the worker.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { ModelConfig, ReinLogger } from "@rein/sdk";
import { createProgressBars, type ProgressBars } from "../progress/progress-bars.ts";
import { createAuthenticator, isLoopbackHost, type ServeKeys } from "./auth.ts";
import { attachWebSocketEndpoint, type WebSocketEndpoint } from "@rein/server";
import { createHttpApp } from "./http-app.ts";
import type { ServedModelSpec } from "./model-specs.ts";
import { createServeBackend, type ServeBackend } from "./serve-backend.ts";

export interface ServeOptions {
  host: string;
  /** 0 picks a free port (the bound one is printed). */
  port: number;
  models: ServedModelSpec[];
  keys: ServeKeys;
  modelConfig?: ModelConfig;
  threads?: number;
  /** Requests one key may have in flight at once (HTTP and WebSocket together); default unlimited. */
  maxRequestsPerKey?: number;
  bodyLimit?: number;
  corsOrigin?: string;
  /** Receives the worker's request lifecycle lines (the bench times native stops with them). */
  logger?: ReinLogger;
  /** Also serve the same worker host on the HyperDHT (`--p2p`). */
  p2p?: ServeP2pOptions;
  /** Progress bars and notices (stdout carries only the "listening" line). */
  errorOutput?: NodeJS.WriteStream;
  output?: NodeJS.WritableStream;
}

export interface ServeP2pOptions {
  /** Client public keys (64 hex characters) that may connect. */
  allow: string[];
  /** Let any client key connect (each is still scoped to its own requests). */
  allowAnyClient: boolean;
  /** DHT bootstrap nodes (`host:port`); default hyperdht's public ones. */
  bootstrap?: string[];
}

export interface RunningServer {
  /** The node http.Server; the WebSocket endpoint `/rein` is attached to its `upgrade` event. */
  readonly server: Server;
  readonly url: string;
  readonly backend: ServeBackend;
  /** The DHT server's public key (what clients pass as `peer`), with `p2p`. */
  readonly p2pPublicKey: string | undefined;
  /** Closes every connection, then the worker; idempotent. */
  close(): Promise<void>;
}

/** A refusal of the options themselves (exit code 2, like other usage mistakes). */
export class ServeUsageError extends Error {
  override name = "ServeUsageError";
}

/**
 * Starts the server; resolves once it listens.
 *
 * @example
 * ```ts
 * const running = await startServe({ host: "127.0.0.1", port: 8080, models: [{ name: "tiny", modelSrc }], keys: { apiKeys: [] } });
 * running.server.on("upgrade", onUpgrade);
 * ```
 */
export async function startServe(options: ServeOptions): Promise<RunningServer> {
  const keyed = options.keys.apiKeys.length > 0 || options.keys.adminKey !== undefined;
  if (!isLoopbackHost(options.host) && !keyed) {
    throw new ServeUsageError(`refusing to listen on ${options.host} without an API key: others can reach it. Pass --api-key <key> (or REIN_API_KEY), or keep the default --host 127.0.0.1`);
  }
  if (options.models.length === 0) throw new ServeUsageError("rein serve needs at least one --model [name=]<path|url>");
  if (options.p2p) checkP2pOptions(options.p2p);
  const errorOutput = options.errorOutput ?? process.stderr;
  const bars = new Map<string, ProgressBars>();
  const backend = await createServeBackend({
    models: options.models,
    modelConfig: options.modelConfig,
    threads: options.threads,
    maxRequestsPerKey: options.maxRequestsPerKey,
    logger: options.logger,
    onProgress: (name, progress) => {
      let bar = bars.get(name);
      if (!bar) {
        errorOutput.write(`model ${name}:\n`);
        bars.set(name, (bar = createProgressBars(errorOutput)));
      }
      bar.update(progress);
    },
    onLoadSettled: (name) => bars.get(name)?.stop(),
  });
  const authenticator = createAuthenticator(options.keys);
  let app;
  let webSockets: WebSocketEndpoint | undefined;
  let peer: { publicKey: string; close(): Promise<void> } | undefined;
  try {
    app = await createHttpApp({ backend, authenticator, bodyLimit: options.bodyLimit, corsOrigin: options.corsOrigin });
    // Remote Rein clients (createClient({ url })): the same keys, the same scoping, the same registry.
    webSockets = attachWebSocketEndpoint(app.server, {
      host: backend.host,
      authenticate: (request) => {
        const caller = authenticator.authenticate(request.headers.authorization);
        if (caller === null) return undefined;
        return caller.admin ? {} : { owner: caller.keyId };
      },
    });
    await app.listen({ host: options.host, port: options.port });
    if (options.p2p) peer = await startPeer(backend, options.p2p, errorOutput);
  } catch (error) {
    await peer?.close();
    await webSockets?.close();
    await app?.close().catch(() => undefined);
    await backend.close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    server: app.server,
    url,
    backend,
    p2pPublicKey: peer?.publicKey,
    close: () =>
      (closing ??= (async () => {
        await peer?.close();
        await webSockets?.close();
        await app.close();
        await backend.close();
      })()),
  };
}

/**
 * Runs `rein serve` until SIGINT/SIGTERM; resolves to the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runServe(options);
 * ```
 */
export async function runServe(options: ServeOptions): Promise<number> {
  const output = options.output ?? process.stdout;
  const running = await startServe(options);
  output.write(`rein serve: listening on ${running.url}\n`);
  for (const [name, model] of running.backend.models) output.write(`  model ${name} (${model.modelId})\n`);
  output.write(`  dashboard ${running.url}/   OpenAI API ${running.url}/v1   Rein clients ${running.url.replace(/^http/, "ws")}/rein\n`);
  if (running.p2pPublicKey) output.write(`p2p: ${running.p2pPublicKey}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      (options.errorOutput ?? process.stderr).write(`rein serve: ${signal}, closing connections and the worker\n`);
      // A second signal during the drain exits at once.
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await running.close();
  return 0;
}

/**
 * Refuses a DHT server open to nobody (a mistake; one open to everybody must be asked for) and names a
 * malformed key or bootstrap entry, before any model loads. Throws ServeUsageError.
 *
 * @example
 * ```ts
 * checkP2pOptions({ allow: [], allowAnyClient: false }); // throws: --p2p needs --allow ...
 * ```
 */
export function checkP2pOptions(p2p: ServeP2pOptions): void {
  if (p2p.allow.length === 0 && !p2p.allowAnyClient) {
    throw new ServeUsageError("--p2p needs --allow <client public key> (repeatable; `rein p2p key` prints a machine's) or --allow-any-client: a DHT server open to nobody serves nothing");
  }
  for (const [index, key] of p2p.allow.entries()) {
    if (!/^[0-9a-f]{64}$/i.test(key)) throw new ServeUsageError(`--allow ${JSON.stringify(key)} (number ${index + 1}) is not a public key of 64 hex characters`);
  }
  for (const entry of p2p.bootstrap ?? []) {
    if (!/^[^\s:]+:\d{1,5}$/.test(entry)) throw new ServeUsageError(`--bootstrap ${JSON.stringify(entry)} is not host:port`);
  }
}

/** The DHT server beside the HTTP listener, on the same worker host; its key pair persists in the cache dir. */
async function startPeer(backend: ServeBackend, p2p: ServeP2pOptions, errorOutput: NodeJS.WritableStream): Promise<{ publicKey: string; close(): Promise<void> }> {
  // Loaded only with --p2p: a plain `rein serve` never loads hyperdht's native modules.
  const { loadOrCreateKeyPair, servePeer } = await import("@rein/p2p");
  const keyPair = await loadOrCreateKeyPair(path.join(backend.host.services.cacheDir, "p2p", "server-key-pair.json"));
  return servePeer({
    host: backend.host,
    keyPair,
    allow: p2p.allow,
    allowAnyClient: p2p.allowAnyClient,
    bootstrap: p2p.bootstrap && p2p.bootstrap.length > 0 ? p2p.bootstrap : undefined,
    log: (message) => errorOutput.write(`${message}\n`),
  });
}
