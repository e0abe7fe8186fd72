import type { Duplex } from "node:stream";
import { ServerUnreachableError, type ReinError } from "@rein/protocol";
import type { LinkGone, TransportLink } from "./transport-link.ts";

export interface StreamLinkOptions {
  /** Names the peer in errors, e.g. the server's URL without credentials. */
  address: string;
  /** The socket under the stream, when there is one, for ref/unref (an idle client must not hold the process). */
  socket?: { ref(): unknown; unref(): unknown };
  /** What pending calls get when the stream ends by itself; default ServerUnreachableError. */
  errorOnClose?: () => ReinError;
}

/**
 * Links to a remote Rein worker over any duplex stream (a WebSocket stream,
 * an in-process pair, a P2P stream). A stream that ends or errors counts as
 * the peer gone: pending calls settle at once.
 *
 * @example
 * ```ts
 * const link = streamLink(duplex, { address: "in-process" });
 * ```
 */
export function streamLink(stream: Duplex, options: StreamLinkOptions): TransportLink {
  let lastError: Error | undefined;
  const gone = new Promise<LinkGone>((resolve) => {
    const finish = () =>
      resolve({
        type: "disconnected",
        error:
          options.errorOnClose?.() ??
          new ServerUnreachableError({ address: options.address, reason: lastError ? `the connection broke: ${lastError.message}` : "the server closed the connection", cause: lastError }),
      });
    stream.once("close", finish);
    // Some duplex streams (ws's createWebSocketStream when the peer dies) emit "end" and never "close":
    // destroying on end makes "close" come, so nothing pending waits for a close that never happens.
    stream.once("end", () => stream.destroy());
    stream.on("error", (error) => {
      lastError = error;
    });
  });
  return {
    kind: "remote",
    channel: stream,
    gone,
    pid: undefined,
    kill: () => void stream.destroy(),
    setReferenced(referenced) {
      if (referenced) options.socket?.ref();
      else options.socket?.unref();
    },
  };
}
