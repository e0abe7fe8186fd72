import { Duplex } from "node:stream";

import { createFrameReader, type FrameReader, type FrameReaderOptions } from "./frame-reader.ts";

export type FramedChannelOptions = Omit<FrameReaderOptions, "deliver">;

/**
 * The duplex bare-rpc runs on: writes go straight to `inner`, reads arrive only
 * through a frame reader (whole, decodable frames, a few per `data` event, so
 * bare-rpc's recursive parser never sees a read it cannot survive). `inner`'s
 * end, close and errors reach bare-rpc as this stream's own.
 *
 * @example
 * ```ts
 * const channel = createFramedChannel(socket, { onViolation: (error) => closeWith(error) });
 * const rpc = new RPC(channel as unknown as ConstructorParameters<typeof RPC>[0], onrequest);
 * ```
 */
export class FramedChannel extends Duplex {
  readonly #inner: Duplex;
  readonly #reader: FrameReader;
  #batching = false;

  constructor(inner: Duplex, options: FramedChannelOptions) {
    super();
    this.#inner = inner;
    this.#reader = createFrameReader({ ...options, deliver: (frames) => this.push(frames) });
    inner.on("data", (chunk: Buffer) => this.#reader.observe(chunk));
    inner.on("end", () => this.push(null));
    inner.on("error", (error: Error) => this.destroy(error));
    inner.on("close", () => this.destroy());
  }

  /**
   * Holds outgoing bytes until the returned release is called, so frames written together (a cancel's last
   * text, its log line and its acknowledgement) leave in one write: one syscall, and one wake-up of the peer
   * instead of one per frame. On a busy machine each wake-up of the reader can preempt the writer; three of
   * them in a row was most of a cancel's round trip. Holds nest; the bytes go when the last one is released.
   *
   * @example
   * ```ts
   * const release = channel.holdWrites();
   * try { sendChunk(); reply(); } finally { release(); }
   * ```
   */
  holdWrites(): () => void {
    if (this.#inner.destroyed || this.#inner.writableEnded) return () => undefined;
    this.#inner.cork();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (!this.#inner.destroyed) this.#inner.uncork();
    };
  }

  /** Well-formed frames the reader dropped (bare-rpc stream messages). */
  get refusedFrames(): number {
    return this.#reader.refusedFrames;
  }

  override _read(): void {
    // Pushed from the inner socket's data events; bare-rpc has no backpressure to apply.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // After a half-close (a protocol violation) late replies have nowhere to go: drop them, not an error.
    if (!this.#inner.destroyed && !this.#inner.writableEnded) {
      this.#batchThisTick();
      this.#inner.write(chunk);
    }
    callback();
  }

  /**
   * bare-rpc writes every frame as two writes (its header, then its body), and a reply often follows a
   * chunk in the same turn: without this, each frame costs two syscalls and the peer can wake for a bare
   * header. Everything written in one synchronous run leaves together on the next tick, in one write.
   */
  #batchThisTick(): void {
    if (this.#batching) return;
    this.#batching = true;
    this.#inner.cork();
    process.nextTick(() => this.flushWrites());
  }

  /**
   * Sends what this run wrote now rather than on the next tick: for a last message before a synchronous
   * `process.exit` (a fatal error's goodbye), which would otherwise never leave. Held writes stay held.
   *
   * @example
   * ```ts
   * sendGoodbye();
   * channel.flushWrites();
   * process.exit(1);
   * ```
   */
  flushWrites(): void {
    if (!this.#batching) return;
    this.#batching = false;
    if (!this.#inner.destroyed) this.#inner.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#inner.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#reader.dispose();
    if (!this.#inner.destroyed) this.#inner.destroy();
    callback(error);
  }
}

/** Wraps `inner` (a socket or pipe) for bare-rpc; see {@link FramedChannel}. */
export function createFramedChannel(inner: Duplex, options: FramedChannelOptions): FramedChannel {
  return new FramedChannel(inner, options);
}


