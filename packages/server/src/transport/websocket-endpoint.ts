import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, createWebSocketStream, type WebSocket } from "ws";
import type { WorkerHost } from "../worker-host.ts";

/** Who an authenticated upgrade request is. `owner` unset: an admin, who sees every request. */
export interface WebSocketCaller {
  owner?: string;
}

export interface WebSocketEndpointOptions {
  host: WorkerHost;
  /** Default "/rein". */
  path?: string;
  /** Reads the caller from the upgrade request (its Authorization header); undefined answers 401. */
  authenticate: (request: IncomingMessage) => WebSocketCaller | undefined;
  /**
   * Browser origins allowed to connect. Default none: an upgrade that carries an `Origin` header (only
   * browsers send one) is refused, so a web page cannot drive a server on the user's loopback.
   */
  allowedOrigins?: readonly string[];
  /** Largest WebSocket message accepted, in bytes (default 16 MiB; bare-rpc frames are far smaller). */
  maxPayload?: number;
  /** Ping interval; a client that has not answered by the next ping is dropped (its requests cancelled). */
  keepAliveMs?: number;
}

export interface WebSocketEndpoint {
  /** Open client connections. */
  readonly connectionCount: number;
  /** Closes every connection (each one's requests are cancelled) and stops accepting new ones. */
  close(): Promise<void>;
}

/**
 * Serves Rein's RPC protocol over WebSockets on an existing HTTP server: each
 * connection is a remote connection of `host` (its own dispatcher and owner,
 * the shared registry). The remote twin of the fd-3 pipe:
 * `createClient({ url: "ws://127.0.0.1:8080/rein", apiKey })`.
 *
 * @example
 * ```ts
 * const endpoint = attachWebSocketEndpoint(httpServer, { host, authenticate: (request) => keys.caller(request) });
 * ```
 */
export function attachWebSocketEndpoint(server: Server, options: WebSocketEndpointOptions): WebSocketEndpoint {
  const path = options.path ?? "/rein";
  const keepAliveMs = options.keepAliveMs ?? 5_000;
  const sockets = new Set<WebSocket>();
  const closed = new Set<Promise<void>>();
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 16 * 1024 * 1024, perMessageDeflate: false });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = refuse(request, path, options);
    if (refusal !== undefined) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const caller = options.authenticate(request);
    if (caller === undefined) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      sockets.add(webSocket);
      const stream = createWebSocketStream(webSocket);
      // When the peer dies this duplex emits "end" but never "close": without this, nothing would clean up.
      stream.on("end", () => stream.destroy());
      stream.on("error", () => undefined);
      const connection = options.host.connect(stream, { trust: "remote", owner: caller.owner });
      closed.add(connection.closed);
      void connection.closed.then(() => closed.delete(connection.closed));
      keepAlive(webSocket, keepAliveMs);
      webSocket.once("close", () => {
        sockets.delete(webSocket);
        stream.destroy();
      });
    });
  };
  server.on("upgrade", onUpgrade);

  return {
    get connectionCount() {
      return sockets.size;
    },
    async close() {
      server.off("upgrade", onUpgrade);
      for (const socket of sockets) socket.terminate();
      await Promise.all(closed);
      await new Promise<void>((resolve) => webSockets.close(() => resolve()));
    },
  };
}

/** A status line for an upgrade this endpoint must not accept, or undefined. */
function refuse(request: IncomingMessage, path: string, options: WebSocketEndpointOptions): string | undefined {
  const pathname = new URL(request.url ?? "/", "http://localhost").pathname;
  if (pathname !== path) return "404 Not Found";
  const origin = request.headers.origin;
  if (origin !== undefined && !(options.allowedOrigins ?? []).includes(origin)) return "403 Forbidden";
  return undefined;
}

function keepAlive(socket: WebSocket, intervalMs: number): void {
  let awaitingPong = false;
  const timer = setInterval(() => {
    if (awaitingPong) return void socket.terminate();
    awaitingPong = true;
    socket.ping();
  }, intervalMs);
  timer.unref();
  socket.on("pong", () => {
    awaitingPong = false;
  });
  socket.once("close", () => clearInterval(timer));
}
