import type { CancelReason } from "@rein/protocol";

/** Why a request's signal was aborted: a cancel reason, or its own deadline. */
export type CancelCause = CancelReason | "timeout";

/**
 * The `signal.reason` of an aborted request. Handlers read `cause` to tell a
 * user cancel from a deadline or an unload without parsing messages; the fixed
 * `name` lets code recognise it across package copies where `instanceof` fails.
 *
 * @example
 * ```ts
 * if (isCancelSignalReason(context.signal.reason) && context.signal.reason.cause === "timeout") { ... }
 * ```
 */
export class CancelSignalReason extends Error {
  override name = "ReinCancel" as const;
  override readonly cause: CancelCause;
  readonly requestId: string;

  constructor(cause: CancelCause, requestId: string) {
    // No stack: it would only show the registry's own frames, and capturing one is most of the cost of
    // making the reason, inside every cancel (CPU profile, issue 17). The message says what happened.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(
        cause === "timeout"
          ? `Request "${requestId}" passed its deadline`
          : `Request "${requestId}" was cancelled (${cause})`,
      );
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.cause = cause;
    this.requestId = requestId;
  }
}

/**
 * True for a `CancelSignalReason`, including one made by another copy of this module.
 *
 * @example
 * ```ts
 * signal.addEventListener("abort", () => { if (isCancelSignalReason(signal.reason)) log(signal.reason.cause); });
 * ```
 */
export function isCancelSignalReason(value: unknown): value is CancelSignalReason {
  if (value instanceof CancelSignalReason) return true;
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { name?: unknown }).name === "ReinCancel" &&
    typeof (value as { cause?: unknown }).cause === "string"
  );
}
