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
  /**
   * `GoodbyeMessage`: the sender is about to close the channel and says why (a
   * protocol violation by the peer, or a fatal error of its own). The last
   * message on a channel; the other side settles its pending calls with it.
   */
  goodbye: 102,
} as const;

/**
 * Exit codes of a worker that did not leave because its parent asked it to
 * (0). Numbers from sysexits.h, so that they read the same in a shell.
 */
export const WorkerExitCode = {
  /** An uncaught exception or unhandled rejection: the worker's state is unknown, so it exits (EX_SOFTWARE). */
  internalError: 70,
  /** The peer broke the framing or sent a message bare-rpc cannot decode (EX_PROTOCOL). */
  protocolViolation: 76,
} as const;

/**
 * The variable through which the SDK hands a worker it spawns the file `NODE_EXTRA_CA_CERTS` names, instead of
 * `NODE_EXTRA_CA_CERTS` itself: Node parses that file at the start of every process (~40 ms for a system bundle
 * of ~150 certificates on a 2-core machine, a third of a worker's start), and the built-in worker needs those
 * certificates only for an HTTPS download, so it reads them then (and only then).
 */
export const WORKER_EXTRA_CA_CERTS_ENV = "REIN_WORKER_EXTRA_CA_CERTS";

/** What an op name may look like: `defineOp` enforces it in the worker, the client before sending. */
export const OP_NAME_PATTERN = /^[a-zA-Z][\w.:-]{0,127}$/;

/** Largest JSON payload either side accepts, in bytes; larger ones are answered with a ProtocolError. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
