import type { IncomingMessage } from "node:http";
import { PermissionDeniedError, ServerUnreachableError } from "@rein/protocol";
import WebSocket, { createWebSocketStream } from "ws";
import { streamLink } from "./stream-link.ts";
import type { TransportLink } from "./transport-link.ts";

export interface WebSocketLinkOptions {
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>` on the upgrade request (never in the URL, which ends up in logs). */
  apiKey?: string;
  /** How long opening the connection may take. */
  connectTimeoutMs: number;
  /** Ping interval; a server that has not answered a ping by the next one is treated as gone. */
  keepAliveMs?: number;
}

const DEFAULT_KEEP_ALIVE_MS = 5_000;

/**
 * Opens a WebSocket to `rein serve` (its `/rein` endpoint) and links to the
 * server's worker host over it. A refused connection, a wrong key or a
 * timeout reject with a typed error; once open, a server that stops answering
 * pings is disconnected, so no call waits on a dead TCP connection.
 *
 * @example
 * ```ts
 * const link = await openWebSocketLink({ url: "ws://127.0.0.1:8080/rein", apiKey, connectTimeoutMs: 10_000 });
 * ```
 */
export function openWebSocketLink(options: WebSocketLinkOptions): Promise<TransportLink> {
  const address = publicAddress(options.url);
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(options.url, {
      headers: options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` },
      handshakeTimeout: options.connectTimeoutMs,
      perMessageDeflate: false,
    });
    const fail = (error: Error) => {
      socket.removeAllListeners("open");
      socket.terminate();
      reject(error);
    };
    socket.once("unexpected-response", (_request, response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      response.resume();
      if (status === 401 || status === 403) fail(new PermissionDeniedError({ operation: "connect", reason: `the server at ${address} refused the API key (HTTP ${status})` }));
      else fail(new ServerUnreachableError({ address, reason: `the server answered HTTP ${status} instead of opening a WebSocket` }));
    });
    socket.once("error", (error: NodeJS.ErrnoException) => fail(new ServerUnreachableError({ address, reason: error.code ?? error.message, cause: error })));
    socket.once("open", () => {
      socket.removeAllListeners("error");
      const stream = createWebSocketStream(socket);
      const tcp = (socket as unknown as { _socket?: { ref(): unknown; unref(): unknown } })._socket;
      keepAlive(socket, options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS);
      resolve(streamLink(stream, { address, socket: tcp }));
    });
  });
}

/** Pings the server; no pong by the next ping ends the connection (the half-open TCP case). */
function keepAlive(socket: WebSocket, intervalMs: number): void {
  let awaitingPong = false;
  const timer = setInterval(() => {
    if (awaitingPong) {
      socket.terminate();
      return;
    }
    awaitingPong = true;
    socket.ping();
  }, intervalMs);
  // A keep-alive alone never holds the process open.
  timer.unref();
  socket.on("pong", () => {
    awaitingPong = false;
  });
  socket.once("close", () => clearInterval(timer));
}

/** The URL as errors show it: without user info or query (where a careless caller might have put a key). */
function publicAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}
