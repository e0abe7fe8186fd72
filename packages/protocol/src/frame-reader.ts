import { MAX_PAYLOAD_BYTES } from "./commands.ts";
import { ProtocolError } from "./errors/runtime-errors.ts";
import { checkRpcMessage } from "./rpc-message-check.ts";

/**
 * A frame a little over the payload limit is still a frame: it is read and
 * answered with a ProtocolError, and the channel lives on. Only a length far
 * beyond anything a peer sends means the byte stream itself is corrupt.
 */
const DEFAULT_MAX_FRAME_BYTES = 4 * MAX_PAYLOAD_BYTES;
/**
 * bare-rpc 1.3.8 parses every frame of one read recursively (`_onafterframe` ->
 * `_onbeforeframe` -> ...): ~3,750 tiny frames in one delivery overflow the
 * stack. Handing it at most this many frames per call keeps the depth small
 * whatever the read size, and the stack unwinds between calls.
 */
const DEFAULT_MAX_FRAMES_PER_DELIVERY = 64;

export interface FrameReaderOptions {
  /** Receives validated, whole frames (prefix included) for bare-rpc, a few at a time. */
  deliver: (frames: Buffer) => void;
  /** Called once, with the reason, when the byte stream can no longer be trusted. */
  onViolation: (error: ProtocolError) => void;
  /** Largest frame body accepted before the stream is declared corrupt; default 4 x `MAX_PAYLOAD_BYTES`. */
  maxFrameBytes?: number;
  /** A frame that started but received no byte for this long is a violation (default 5 s). */
  stallTimeoutMs?: number;
  /** Most frames handed to `deliver` in one call (default 64). */
  maxFramesPerDelivery?: number;
}

export interface FrameReader {
  /** Feed every chunk the socket delivers, in order. */
  observe(chunk: Buffer): void;
  /** Well-formed frames dropped because Rein's protocol has no use for them (bare-rpc stream messages). */
  readonly refusedFrames: number;
  dispose(): void;
}

/**
 * Sits between a socket and bare-rpc and hands bare-rpc only whole frames that
 * it can decode, at most `maxFramesPerDelivery` at a time. It refuses:
 * - a length prefix of 0 or beyond `maxFrameBytes`, a frame that stalls half-way,
 *   a message bare-rpc cannot decode or of an unknown type: the byte stream
 *   cannot be resynchronised, so these are violations (the channel must close,
 *   and the peer should be told why);
 * - bare-rpc stream messages (Rein uses none): dropped and counted, because
 *   bare-rpc remembers every stream-open for an unknown id in a table that only
 *   grows (`_pendingRequests` / `_pendingResponses`).
 *
 * @example
 * ```ts
 * const reader = createFrameReader({ deliver: (frames) => channel.push(frames), onViolation: (error) => close(error) });
 * socket.on("data", (chunk) => reader.observe(chunk));
 * ```
 */
export function createFrameReader(options: FrameReaderOptions): FrameReader {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const stallTimeoutMs = options.stallTimeoutMs ?? 5_000;
  const maxFramesPerDelivery = options.maxFramesPerDelivery ?? DEFAULT_MAX_FRAMES_PER_DELIVERY;
  // An incomplete frame carried over from earlier chunks, kept as parts so a large frame is copied once.
  let carried: Buffer[] = [];
  let carriedBytes = 0;
  let carriedFrameBytes = -1;
  let refusedFrames = 0;
  let violated = false;
  let stallTimer: NodeJS.Timeout | undefined;

  const violate = (reason: string) => {
    if (violated) return;
    violated = true;
    clearTimeout(stallTimer);
    carried = [];
    options.onViolation(new ProtocolError({ reason }));
  };

  /** The whole frame's size (prefix included), or -1 after a violation. */
  const frameSize = (length: number): number => {
    if (length === 0) {
      violate("a frame with a length prefix of 0: every message carries at least a type and an id");
      return -1;
    }
    if (length > maxFrameBytes) {
      violate(`a frame claims ${length} bytes, more than the ${maxFrameBytes}-byte limit: the byte stream is corrupt`);
      return -1;
    }
    return 4 + length;
  };

  /** Checks one whole frame: true to pass it on, false to drop it (a violation, when there was one, is raised). */
  const admit = (frame: Buffer): boolean => {
    const check = checkRpcMessage(frame.subarray(4));
    if (check.kind === "message") return true;
    if (check.kind === "stream") refusedFrames += 1;
    else violate(`${check.reason} (a frame of ${frame.length - 4} bytes)`);
    return false;
  };

  const observe = (chunk: Buffer) => {
    let offset = 0;
    if (carriedBytes > 0) {
      if (carriedFrameBytes < 0) {
        const taken = Math.min(4 - carriedBytes, chunk.length);
        carried.push(chunk.subarray(0, taken));
        carriedBytes += taken;
        offset = taken;
        if (carriedBytes < 4) return;
        carriedFrameBytes = frameSize(Buffer.concat(carried).readUInt32LE(0));
        if (carriedFrameBytes < 0) return;
      }
      const taken = Math.min(carriedFrameBytes - carriedBytes, chunk.length - offset);
      carried.push(chunk.subarray(offset, offset + taken));
      carriedBytes += taken;
      offset += taken;
      if (carriedBytes < carriedFrameBytes) return;
      const frame = Buffer.concat(carried, carriedBytes);
      carried = [];
      carriedBytes = 0;
      carriedFrameBytes = -1;
      if (admit(frame)) options.deliver(frame);
      if (violated) return;
    }
    // At a frame boundary: pass runs of whole frames on as views of the chunk, without copying.
    let runStart = offset;
    let runFrames = 0;
    const flush = (end: number) => {
      if (end > runStart) options.deliver(chunk.subarray(runStart, end));
      runStart = end;
      runFrames = 0;
    };
    while (chunk.length - offset >= 4) {
      const size = frameSize(chunk.readUInt32LE(offset));
      if (size < 0) return flush(offset);
      if (chunk.length - offset < size) break;
      const frame = chunk.subarray(offset, offset + size);
      if (!admit(frame)) {
        flush(offset);
        if (violated) return;
        runStart = offset + size;
      } else {
        runFrames += 1;
      }
      offset += size;
      if (runFrames >= maxFramesPerDelivery) flush(offset);
    }
    flush(offset);
    if (offset < chunk.length) {
      carried = [chunk.subarray(offset)];
      carriedBytes = chunk.length - offset;
      carriedFrameBytes = carriedBytes >= 4 ? frameSize(chunk.readUInt32LE(offset)) : -1;
    }
  };

  return {
    observe(chunk: Buffer) {
      if (violated) return;
      observe(chunk);
      if (violated) return;
      clearTimeout(stallTimer);
      if (carriedBytes > 0) {
        stallTimer = setTimeout(() => violate(`a frame stalled: no byte for ${stallTimeoutMs} ms in the middle of it`), stallTimeoutMs);
        // Only a live channel should keep the process running, not the watchdog.
        stallTimer.unref();
      }
    },
    get refusedFrames() {
      return refusedFrames;
    },
    dispose() {
      violated = true;
      carried = [];
      clearTimeout(stallTimer);
    },
  };
}
