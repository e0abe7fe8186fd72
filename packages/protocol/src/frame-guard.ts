import { MAX_PAYLOAD_BYTES } from "./commands.ts";
import { ProtocolError } from "./errors/runtime-errors.ts";

/**
 * A frame a little over the payload limit is still a frame: it is read and
 * answered with a ProtocolError, and the channel lives on. Only a length far
 * beyond anything a peer sends means the byte stream itself is corrupt.
 */
const DEFAULT_MAX_FRAME_BYTES = 4 * MAX_PAYLOAD_BYTES;

export interface FrameGuardOptions {
  /** Largest frame body accepted before the stream is declared corrupt; default 4 x `MAX_PAYLOAD_BYTES`. */
  maxFrameBytes?: number;
  /** A frame that started but received no byte for this long is a violation (default 5 s). */
  stallTimeoutMs?: number;
  /** Called once, with the reason, when the byte stream can no longer be trusted. */
  onViolation: (error: ProtocolError) => void;
}

export interface FrameGuard {
  /** Feed every chunk the socket delivers, before (or beside) bare-rpc. */
  observe(chunk: Buffer): void;
  dispose(): void;
}

/**
 * Watches the length prefixes of bare-rpc's framing (a little-endian uint32,
 * then that many bytes). bare-rpc itself waits for however many bytes a prefix
 * claims: a truncated frame, or four bytes of garbage read as a 500 MB length,
 * would leave every later call on the channel waiting forever. A byte stream
 * cannot be resynchronised, so the guard's job is to notice and declare the
 * channel dead, so that callers get a typed error instead of a hang.
 *
 * @example
 * ```ts
 * const guard = createFrameGuard({ onViolation: (error) => socket.destroy(error) });
 * socket.on("data", (chunk) => guard.observe(chunk));
 * ```
 */
export function createFrameGuard(options: FrameGuardOptions): FrameGuard {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const stallTimeoutMs = options.stallTimeoutMs ?? 5_000;
  const header = Buffer.alloc(4);
  let headerFilled = 0;
  let bodyRemaining = 0;
  let violated = false;
  let stallTimer: NodeJS.Timeout | undefined;

  const violate = (reason: string) => {
    if (violated) return;
    violated = true;
    clearTimeout(stallTimer);
    options.onViolation(new ProtocolError({ reason }));
  };

  return {
    observe(chunk: Buffer) {
      if (violated) return;
      let offset = 0;
      while (offset < chunk.length) {
        if (bodyRemaining > 0) {
          const taken = Math.min(bodyRemaining, chunk.length - offset);
          bodyRemaining -= taken;
          offset += taken;
          continue;
        }
        const taken = Math.min(4 - headerFilled, chunk.length - offset);
        chunk.copy(header, headerFilled, offset, offset + taken);
        headerFilled += taken;
        offset += taken;
        if (headerFilled < 4) break;
        headerFilled = 0;
        bodyRemaining = header.readUInt32LE(0);
        if (bodyRemaining > maxFrameBytes) {
          return violate(`a frame claims ${bodyRemaining} bytes, more than the ${maxFrameBytes}-byte limit: the byte stream is corrupt`);
        }
      }
      clearTimeout(stallTimer);
      if (bodyRemaining > 0 || headerFilled > 0) {
        stallTimer = setTimeout(() => violate(`a frame stalled: no byte for ${stallTimeoutMs} ms in the middle of it`), stallTimeoutMs);
        // Only a live channel should keep the process running, not the watchdog.
        stallTimer.unref();
      }
    },
    dispose() {
      violated = true;
      clearTimeout(stallTimer);
    },
  };
}
