/**
 * A real HTTP server on 127.0.0.1 for download tests: byte ranges, slow drip,
 * interrupted transfers, error statuses, redirects, and counters plus promise
 * hooks so that tests synchronise on events instead of sleeping.
 *
 * @example
 * ```ts
 * const server = await startAssetServer();
 * server.setAsset("/model.gguf", randomAsset(1 << 20), { dripBytesPerChunk: 16384, dripIntervalMs: 5 });
 * const url = server.url("/model.gguf");
 * // ... start a download, cancel it ...
 * await server.waitForAbort("/model.gguf");
 * await server.close();
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface AssetOptions {
  /** Write the body in chunks of this many bytes (default 64 KiB). */
  dripBytesPerChunk?: number;
  /** Wait this long after each chunk (default 0: as fast as the socket takes it). */
  dripIntervalMs?: number;
  /** Destroy the socket after this many body bytes of each response (an interrupted transfer). */
  failAfterBytes?: number;
  /** Answer with this status (and the whole body) instead of 200/206; Range is ignored. */
  status?: number;
  /** Answer every request with 200 and the whole body, even when it carries `Range`. */
  ignoreRange?: boolean;
}

export interface AssetServerStats {
  /** Requests received, any path. */
  requests: number;
  /** Requests that carried a `Range` header (whether or not it was honoured). */
  rangeRequests: number;
  /** Responses the client closed before the body was complete. */
  abortedResponses: number;
  /** Responses whose body was written completely. */
  completedResponses: number;
  /** Body bytes handed to sockets. */
  bytesSent: number;
}

export interface RecordedRequest {
  path: string;
  method: string;
  /** The `Range` header, or null. */
  range: string | null;
}

export interface AssetServer {
  /** `http://127.0.0.1:<port><path>`. */
  url(path: string): string;
  readonly port: number;
  /** Closes every connection (open transfers included) and the server. */
  close(): Promise<void>;
  /** Serves `body` at `path` (replacing any earlier asset or redirect there). */
  setAsset(path: string, body: Buffer, options?: AssetOptions): void;
  /** Answers `path` with a redirect to `location` (absolute URL or path). */
  setRedirect(path: string, location: string, status?: 301 | 302 | 303 | 307 | 308): void;
  /** Stops serving `path` (it answers 404 again). */
  removeAsset(path: string): void;
  readonly stats: AssetServerStats;
  /** Every request received, in order. */
  readonly requestLog: readonly RecordedRequest[];
  /** Requests received for `path` so far. */
  requestsFor(path: string): number;
  /** Sockets currently open on the server side. */
  readonly openConnections: number;
  /** Resolves once `count` (default 1) requests for `path` have started, counting earlier ones. */
  waitForRequest(path: string, count?: number): Promise<void>;
  /** Resolves once `count` (default 1) responses for `path` were aborted by the client, counting earlier ones. */
  waitForAbort(path: string, count?: number): Promise<void>;
  /** Resolves when no socket is open on the server side (leak checks after a download settled). */
  waitForIdle(): Promise<void>;
}

type Route =
  | { type: "asset"; body: Buffer; options: AssetOptions }
  | { type: "redirect"; location: string; status: number };

interface Waiter {
  path: string;
  count: number;
  resolve: () => void;
}

const DEFAULT_CHUNK = 64 * 1024;

function normalizePath(path: string): string {
  return path.startsWith("/") ? path : `/${path}`;
}

/** A deterministic pseudo-random buffer (mulberry32); the same `bytes` and `seed` always give the same content. */
export function randomAsset(bytes: number, seed = 1): Buffer {
  const buffer = Buffer.allocUnsafe(bytes);
  let state = seed >>> 0;
  let offset = 0;
  while (offset < bytes) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const value = (t ^ (t >>> 14)) >>> 0;
    for (let shift = 0; shift < 32 && offset < bytes; shift += 8) buffer[offset++] = (value >>> shift) & 0xff;
  }
  return buffer;
}

/** Parses `bytes=N-` or `bytes=N-M` against a body of `size` bytes; null when absent or not understood. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const start = Number(match[1]);
  const end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

export async function startAssetServer(): Promise<AssetServer> {
  const routes = new Map<string, Route>();
  const requestCounts = new Map<string, number>();
  const abortCounts = new Map<string, number>();
  const requestWaiters = new Set<Waiter>();
  const abortWaiters = new Set<Waiter>();
  const idleWaiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const requestLog: RecordedRequest[] = [];
  const stats: AssetServerStats = { requests: 0, rangeRequests: 0, abortedResponses: 0, completedResponses: 0, bytesSent: 0 };

  const bump = (counts: Map<string, number>, waiters: Set<Waiter>, path: string) => {
    const count = (counts.get(path) ?? 0) + 1;
    counts.set(path, count);
    for (const waiter of waiters) {
      if (waiter.path === path && count >= waiter.count) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };
  const waitFor = (counts: Map<string, number>, waiters: Set<Waiter>, path: string, count: number) =>
    new Promise<void>((resolve) => {
      const key = normalizePath(path);
      if ((counts.get(key) ?? 0) >= count) resolve();
      else waiters.add({ path: key, count, resolve });
    });

  /** Tracks how a response ends; `serverDestroyed` marks our own `failAfterBytes` cut so it is not counted as a client abort. */
  interface ResponseState {
    closed: boolean;
    serverDestroyed: boolean;
    closedPromise: Promise<void>;
  }

  function track(res: ServerResponse, path: string): ResponseState {
    let onClose: () => void = () => {};
    const state: ResponseState = {
      closed: false,
      serverDestroyed: false,
      closedPromise: new Promise<void>((resolve) => (onClose = resolve)),
    };
    res.on("finish", () => stats.completedResponses++);
    res.on("close", () => {
      state.closed = true;
      if (!res.writableFinished && !state.serverDestroyed) {
        stats.abortedResponses++;
        bump(abortCounts, abortWaiters, path);
      }
      onClose();
    });
    return state;
  }

  async function sendBody(res: ServerResponse, state: ResponseState, data: Buffer, options: AssetOptions): Promise<void> {
    const chunkSize = Math.max(1, options.dripBytesPerChunk ?? DEFAULT_CHUNK);
    const interval = options.dripIntervalMs ?? 0;
    const failing = options.failAfterBytes !== undefined && options.failAfterBytes < data.length;
    const limit = failing ? Math.max(0, options.failAfterBytes ?? 0) : data.length;
    const cut = () => {
      state.serverDestroyed = true;
      res.destroy();
    };
    if (failing && limit === 0) {
      res.flushHeaders();
      cut();
      return;
    }
    let offset = 0;
    while (offset < limit && !state.closed) {
      const end = Math.min(offset + chunkSize, limit);
      const chunk = data.subarray(offset, end);
      offset = end;
      stats.bytesSent += chunk.length;
      if (!failing && offset >= limit) {
        res.end(chunk);
        return;
      }
      let flushed: () => void = () => {};
      const flushedPromise = new Promise<void>((resolve) => (flushed = resolve));
      const ok = res.write(chunk, () => flushed());
      if (failing && offset >= limit) {
        // Let the bytes reach the socket, then cut the connection mid-body.
        await Promise.race([flushedPromise, state.closedPromise]);
        if (!state.closed) cut();
        return;
      }
      if (!ok) await Promise.race([new Promise<void>((resolve) => res.once("drain", resolve)), state.closedPromise]);
      if (interval > 0 && !state.closed) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, interval))), state.closedPromise]);
        clearTimeout(timer);
      }
    }
    if (!state.closed && !res.writableEnded) res.end();
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const rangeHeader = req.headers.range;
    stats.requests++;
    if (rangeHeader !== undefined) stats.rangeRequests++;
    requestLog.push({ path, method: req.method ?? "GET", range: rangeHeader ?? null });
    bump(requestCounts, requestWaiters, path);
    const state = track(res, path);

    const route = routes.get(path);
    if (route === undefined) {
      const body = Buffer.from(`not found: ${path}\n`);
      res.writeHead(404, { "Content-Type": "text/plain", "Content-Length": body.length });
      res.end(body);
      return;
    }
    if (route.type === "redirect") {
      res.writeHead(route.status, { Location: route.location, "Content-Length": 0 });
      res.end();
      return;
    }
    const { body, options } = route;
    const range = options.status !== undefined || options.ignoreRange ? null : parseRange(rangeHeader, body.length);
    if (range === "unsatisfiable") {
      res.writeHead(416, { "Content-Range": `bytes */${body.length}`, "Content-Length": 0 });
      res.end();
      return;
    }
    const headers: Record<string, string | number> = {
      "Content-Type": "application/octet-stream",
      "Accept-Ranges": options.ignoreRange ? "none" : "bytes",
    };
    let data = body;
    let status = options.status ?? 200;
    if (range !== null) {
      status = 206;
      data = body.subarray(range.start, range.end + 1);
      headers["Content-Range"] = `bytes ${range.start}-${range.end}/${body.length}`;
    }
    headers["Content-Length"] = data.length;
    res.writeHead(status, headers);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    void sendBody(res, state, data, options);
  }

  const server = createServer(handle);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      if (sockets.size === 0) {
        for (const resolve of idleWaiters) resolve();
        idleWaiters.clear();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    stats,
    requestLog,
    url: (path) => `http://127.0.0.1:${port}${normalizePath(path)}`,
    setAsset(path, body, options = {}) {
      routes.set(normalizePath(path), { type: "asset", body, options: { ...options } });
    },
    setRedirect(path, location, status = 302) {
      routes.set(normalizePath(path), { type: "redirect", location, status });
    },
    removeAsset(path) {
      routes.delete(normalizePath(path));
    },
    requestsFor: (path) => requestCounts.get(normalizePath(path)) ?? 0,
    get openConnections() {
      return sockets.size;
    },
    waitForRequest: (path, count = 1) => waitFor(requestCounts, requestWaiters, path, count),
    waitForAbort: (path, count = 1) => waitFor(abortCounts, abortWaiters, path, count),
    waitForIdle: () =>
      new Promise<void>((resolve) => {
        if (sockets.size === 0) resolve();
        else idleWaiters.add(resolve);
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** A loopback port nobody listens on: bound by the OS, then released (a "connection refused" target). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
