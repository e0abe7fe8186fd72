/**
 * A check of one bare-rpc message body (the bytes after its uint32 length
 * prefix) against bare-rpc's wire format, done before bare-rpc sees it. It
 * mirrors `bare-rpc/lib/messages.js` (compact-encoding varints) so that the
 * protocol package needs no runtime dependency, and so that a frame bare-rpc
 * could not decode is refused by our code, with a reason, instead of making
 * bare-rpc destroy the channel (or throw from its parser).
 */

/** bare-rpc message types (`bare-rpc/lib/constants.js`). */
const MessageType = { request: 1, response: 2, stream: 3 } as const;
/** bare-rpc stream flags that carry a payload. */
const STREAM_ERROR = 0x80;
const STREAM_DATA = 0x10;

export type RpcMessageCheck =
  | { kind: "message"; type: "request" | "response"; id: number }
  /** A bare-rpc stream message: Rein uses no bare-rpc streams, so the reader drops it (see frame-reader.ts). */
  | { kind: "stream"; id: number }
  | { kind: "invalid"; reason: string };

class OutOfBounds extends Error {}

/** Reads compact-encoding values from `body`, throwing OutOfBounds past its end. */
class Cursor {
  offset = 0;
  constructor(readonly body: Buffer) {}

  uint(): number {
    const first = this.#byte();
    if (first <= 0xfc) return first;
    const width = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
    this.#need(width);
    const value = width === 8 ? this.body.readUInt32LE(this.offset) + this.body.readUInt32LE(this.offset + 4) * 0x1_0000_0000 : this.body.readUIntLE(this.offset, width);
    this.offset += width;
    // compact-encoding refuses a uint64 beyond 2^53 (validateSafeUint); so does this check.
    if (!Number.isSafeInteger(value)) throw new OutOfBounds("a varint beyond 2^53");
    return value;
  }

  bool(): void {
    this.#byte();
  }

  /** A length-prefixed byte string (bare-rpc's `buffer` and `utf8`). */
  bytes(): void {
    const length = this.uint();
    this.#need(length);
    this.offset += length;
  }

  #byte(): number {
    this.#need(1);
    return this.body[this.offset++]!;
  }

  #need(count: number): void {
    if (this.body.length - this.offset < count) throw new OutOfBounds("the message runs past the end of its frame");
  }
}

/**
 * Says whether bare-rpc would decode `body` (one frame without its length
 * prefix), and what it is.
 *
 * @example
 * ```ts
 * checkRpcMessage(Buffer.from([9, 1])); // { kind: "invalid", reason: "unknown message type 9" }
 * ```
 */
export function checkRpcMessage(body: Buffer): RpcMessageCheck {
  const cursor = new Cursor(body);
  try {
    const type = cursor.uint();
    const id = cursor.uint();
    switch (type) {
      case MessageType.request: {
        cursor.uint(); // command
        const stream = cursor.uint();
        if (stream === 0) cursor.bytes();
        return { kind: "message", type: "request", id };
      }
      case MessageType.response: {
        cursor.bool(); // bare-rpc reads any byte here; only 1 means "error"
        const isError = body[cursor.offset - 1] === 1;
        const stream = cursor.uint();
        if (isError) readError(cursor);
        else if (stream === 0) cursor.bytes();
        return { kind: "message", type: "response", id };
      }
      case MessageType.stream: {
        const stream = cursor.uint();
        if (stream & STREAM_ERROR) readError(cursor);
        else if (stream & STREAM_DATA) cursor.bytes();
        return { kind: "stream", id };
      }
      default:
        return { kind: "invalid", reason: `unknown message type ${type}` };
    }
  } catch (error) {
    if (error instanceof OutOfBounds) return { kind: "invalid", reason: `a malformed message: ${error.message}` };
    throw error;
  }
}

function readError(cursor: Cursor): void {
  cursor.bytes(); // message
  cursor.bytes(); // code
  cursor.uint(); // errno, zig-zag encoded
}
