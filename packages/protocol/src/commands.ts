/** Version of the wire protocol; the handshake refuses a worker that speaks another one. */
export const PROTOCOL_VERSION = 1;

/**
 * bare-rpc command numbers, defined once for both sides. Requests get a reply;
 * `Event.frame` flows worker -> client without one.
 */
export const Command = {
  /** `{ protocolVersion }` -> `HandshakeReply`. */
  handshake: 1,
  /** `CallMessage` -> `CallReply`; progress and stream frames arrive as `Event.frame` before the reply. */
  call: 2,
  /** `CancelMessage` -> `{ cancelled }`. Never queued behind work. */
  cancel: 3,
  /** `{}` -> `WorkerSnapshot` (registry, models, counters): diagnostics and tests. */
  inspect: 4,
  /** `{}` -> `{}` after every request was cancelled and cleaned up and every model freed. */
  shutdown: 5,
} as const;

export const Event = {
  /** `FrameMessage`: one streamed event or progress update of a running call. */
  frame: 100,
  /** `LogMessage`: a registry lifecycle line (begin/cancel/end) for the client's logger. */
  log: 101,
} as const;

/** What an op name may look like: `defineOp` enforces it in the worker, the client before sending. */
export const OP_NAME_PATTERN = /^[a-zA-Z][\w.:-]{0,127}$/;

/** Largest JSON payload either side accepts, in bytes; larger ones are answered with a ProtocolError. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
