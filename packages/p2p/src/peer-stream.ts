import { Duplex } from "node:stream";
import type { DhtSocket } from "./hyperdht-module.ts";

/**
 * A HyperDHT socket (a streamx duplex) as a Node `Duplex`, starting with the
 * bytes that arrived after the hello. Rein's framing and the SDK's links
 * expect Node's stream semantics (`writableEnded`, `end` then `close`, errors
 * as `error` events with a listener); streamx differs in those details.
 * The other side's end ends this stream and destroys the socket.
 */
export class PeerStream extends Duplex {
  readonly remotePublicKey: Buffer;
  readonly #socket: DhtSocket;

  constructor(socket: DhtSocket, rest: Buffer) {
    super({ allowHalfOpen: false });
    this.#socket = socket;
    this.remotePublicKey = socket.remotePublicKey;
    if (rest.length > 0) this.push(rest);
    // Called synchronously where the hello finished: no data event can fall between its listener and this one.
    socket.on("data", (chunk: Buffer) => this.push(chunk));
    socket.on("end", () => this.push(null));
    socket.on("error", (error: Error) => this.destroy(error));
    socket.on("close", () => this.destroy());
  }

  override _read(): void {
    // Pushed from the socket's data events: bare-rpc applies no backpressure.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.#socket.destroyed) this.#socket.write(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#socket.destroyed) this.#socket.destroy();
    callback(error);
  }
}
