/**
 * An AbortSignal that fires when the HTTP client goes away before its answer
 * is complete: the response's `close` event comes both for a dropped socket
 * and after a normal end, and `writableFinished` tells them apart. It works
 * the same for a stream and for a request still waiting for its JSON answer,
 * queued or running, so every route gets the same disconnect = cancel.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface ConnectionAbort {
  readonly signal: AbortSignal;
  /** Stops listening (call it when the request settled). */
  dispose(): void;
}

/**
 * Ties a signal to `response`; `onDisconnect` runs first (e.g. a cancel with
 * the reason "clientDisconnected"), then the signal aborts.
 *
 * @example
 * ```ts
 * const abort = connectionAbort(request.raw, reply.raw, () => void client.cancel({ requestId }, "clientDisconnected"));
 * const run = client.completion({ ...params, requestId, signal: abort.signal });
 * ```
 */
export function connectionAbort(request: IncomingMessage, response: ServerResponse, onDisconnect?: () => void): ConnectionAbort {
  const controller = new AbortController();
  const disconnect = () => {
    if (response.writableFinished || controller.signal.aborted) return;
    onDisconnect?.();
    controller.abort(new Error("the HTTP client disconnected"));
  };
  response.on("close", disconnect);
  // The client may already have left while its body was read.
  if (response.destroyed || request.socket.destroyed) disconnect();
  return {
    signal: controller.signal,
    dispose: () => response.off("close", disconnect),
  };
}
