import { ErrorCode } from "./error-codes.ts";
import { ReinError, type ReinErrorOptions } from "./rein-error.ts";

const text = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);

/**
 * A remote Rein server (`createClient({ url })`) could not be reached, or the
 * connection to it broke. Every call pending on that connection settles with
 * it at once; the next call connects again. `cause` holds the socket error.
 */
export class ServerUnreachableError extends ReinError {
  static override readonly code = ErrorCode.ServerUnreachable;
  override name = "ServerUnreachableError";
  /** The server's address as the client was given it (without credentials). */
  readonly address: string;
  readonly reason: string;
  constructor(fields: { address: string; reason: string } & ReinErrorOptions) {
    super(fields.message ?? `The Rein server at ${fields.address} cannot be reached: ${fields.reason}`, fields);
    this.address = text(fields.address);
    this.reason = text(fields.reason);
  }
  override toFields() {
    return { address: this.address, reason: this.reason };
  }
}

/**
 * A Rein peer on the DHT (`createClient({ peer })`) could not be reached: not
 * found, refused this client's key, never answered the transport hello, or the
 * connection to it broke (keep-alive or stream timeout). Every call pending on
 * that connection settles with it; the next call connects again. Nothing is
 * retried on another peer: a generation is not idempotent.
 */
export class PeerUnreachableError extends ReinError {
  static override readonly code = ErrorCode.PeerUnreachable;
  override name = "PeerUnreachableError";
  /** The peer's public key (64 hex characters). */
  readonly publicKey: string;
  readonly reason: string;
  constructor(fields: { publicKey: string; reason: string } & ReinErrorOptions) {
    super(fields.message ?? `The Rein peer ${fields.publicKey} cannot be reached: ${fields.reason}`, fields);
    this.publicKey = text(fields.publicKey);
    this.reason = text(fields.reason);
  }
  override toFields() {
    return { publicKey: this.publicKey, reason: this.reason };
  }
}

/**
 * The caller may not do this: a wrong or missing API key, or an operation that
 * a remote connection is never allowed (configuring the worker, shutting it
 * down, reading files or URLs the operator did not allow).
 */
export class PermissionDeniedError extends ReinError {
  static override readonly code = ErrorCode.PermissionDenied;
  override name = "PermissionDeniedError";
  readonly operation: string;
  readonly reason: string;
  constructor(fields: { operation: string; reason: string } & ReinErrorOptions) {
    super(fields.message ?? `Not allowed: ${fields.operation}: ${fields.reason}`, fields);
    this.operation = text(fields.operation);
    this.reason = text(fields.reason);
  }
  override toFields() {
    return { operation: this.operation, reason: this.reason };
  }
}
