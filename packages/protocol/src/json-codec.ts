import { MAX_PAYLOAD_BYTES } from "./commands.ts";
import { ProtocolError } from "./errors/runtime-errors.ts";

/** Encodes a message for the wire; refuses payloads over the limit instead of stalling the pipe. */
export function encodeJson(value: unknown): Buffer {
  const buffer = Buffer.from(JSON.stringify(value ?? null), "utf8");
  if (buffer.byteLength > MAX_PAYLOAD_BYTES) {
    throw new ProtocolError({ reason: `payload of ${buffer.byteLength} bytes exceeds the ${MAX_PAYLOAD_BYTES}-byte limit` });
  }
  return buffer;
}

/** Decodes a wire payload; a malformed or oversized one becomes a ProtocolError, never a crash. */
export function decodeJson(data: Buffer | string | null | undefined): unknown {
  if (data == null) return null;
  const byteLength = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
  if (byteLength > MAX_PAYLOAD_BYTES) {
    throw new ProtocolError({ reason: `payload of ${byteLength} bytes exceeds the ${MAX_PAYLOAD_BYTES}-byte limit` });
  }
  const text = typeof data === "string" ? data : data.toString("utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ProtocolError({ reason: "payload is not valid JSON", cause: error });
  }
}
