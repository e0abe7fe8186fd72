import type { SerializedErrorData } from "../events.ts";
import {
  InferenceCancelledError,
  InvalidInputError,
  RequestIdConflictError,
  RequestNotFoundError,
  RequestRejectedByPolicyError,
  RequestTimeoutError,
  ToolCallFailedError,
} from "./error-classes.ts";
import { ErrorCode } from "./error-codes.ts";
import { EmbeddingDimensionMismatchError, WorkspaceLockedError, WorkspaceNotFoundError } from "./rag-errors.ts";
import { ReinError } from "./rein-error.ts";
import {
  AsyncDisposeUnavailableError,
  ChecksumMismatchError,
  ContextOverflowError,
  DownloadFailedError,
  ModelLoadFailedError,
  ModelNotFoundError,
  ModelNotLoadedError,
  OperationFailedError,
  ProtocolError,
  UnknownOperationError,
  WorkerCrashedError,
  WorkerShutdownError,
  WorkerStartFailedError,
} from "./runtime-errors.ts";
import { PeerUnreachableError, PermissionDeniedError, ServerUnreachableError } from "./remote-errors.ts";

type ErrorFactory = (fields: Record<string, unknown> & { message: string }) => ReinError;

// Keyed by numeric code, not by class name: a rename must never break `instanceof`
// on the other side of the wire (the QVAC SDK shipped exactly that bug).
const FACTORIES = new Map<number, ErrorFactory>([
  [ErrorCode.InvalidInput, (fields) => new InvalidInputError(fields as never)],
  [ErrorCode.RequestIdConflict, (fields) => new RequestIdConflictError(fields as never)],
  [ErrorCode.RequestNotFound, (fields) => new RequestNotFoundError(fields as never)],
  [ErrorCode.InferenceCancelled, (fields) => new InferenceCancelledError(fields as never)],
  [ErrorCode.RequestRejectedByPolicy, (fields) => new RequestRejectedByPolicyError(fields as never)],
  [ErrorCode.RequestTimeout, (fields) => new RequestTimeoutError(fields as never)],
  [ErrorCode.ContextOverflow, (fields) => new ContextOverflowError(fields as never)],
  [ErrorCode.ModelNotFound, (fields) => new ModelNotFoundError(fields as never)],
  [ErrorCode.ModelNotLoaded, (fields) => new ModelNotLoadedError(fields as never)],
  [ErrorCode.ModelLoadFailed, (fields) => new ModelLoadFailedError(fields as never)],
  [ErrorCode.DownloadFailed, (fields) => new DownloadFailedError(fields as never)],
  [ErrorCode.ChecksumMismatch, (fields) => new ChecksumMismatchError(fields as never)],
  [ErrorCode.ToolCallFailed, (fields) => new ToolCallFailedError(fields as never)],
  [ErrorCode.UnknownOperation, (fields) => new UnknownOperationError(fields as never)],
  [ErrorCode.OperationFailed, (fields) => new OperationFailedError(fields as never)],
  [ErrorCode.WorkerCrashed, (fields) => new WorkerCrashedError(fields as never)],
  [ErrorCode.WorkerShutdown, (fields) => new WorkerShutdownError(fields)],
  [ErrorCode.WorkerStartFailed, (fields) => new WorkerStartFailedError(fields as never)],
  [ErrorCode.Protocol, (fields) => new ProtocolError(fields as never)],
  [ErrorCode.ServerUnreachable, (fields) => new ServerUnreachableError(fields as never)],
  [ErrorCode.PeerUnreachable, (fields) => new PeerUnreachableError(fields as never)],
  [ErrorCode.PermissionDenied, (fields) => new PermissionDeniedError(fields as never)],
  [ErrorCode.AsyncDisposeUnavailable, (fields) => new AsyncDisposeUnavailableError(fields)],
  [ErrorCode.WorkspaceNotFound, (fields) => new WorkspaceNotFoundError(fields as never)],
  [ErrorCode.WorkspaceLocked, (fields) => new WorkspaceLockedError(fields as never)],
  [ErrorCode.EmbeddingDimensionMismatch, (fields) => new EmbeddingDimensionMismatchError(fields as never)],
]);

/** Every code that `deserializeError` rebuilds into its own class. */
export const KNOWN_ERROR_CODES: readonly number[] = [...FACTORIES.keys()];

/**
 * Turns any thrown value into the wire form `{ code, message, fields, stack }`.
 * Non-Rein errors (a TypeError in a handler, a native failure) become
 * `OperationFailedError` so the caller always gets a code.
 *
 * @example
 * ```ts
 * const data = serializeError(new ModelNotLoadedError({ modelId: "m1" }));
 * deserializeError(data) instanceof ModelNotLoadedError; // true
 * ```
 */
export function serializeError(error: unknown, context: { operation?: string } = {}): SerializedErrorData {
  if (ReinError.isInstance(error)) {
    return { code: error.code, name: error.name, message: error.message, fields: error.toFields(), stack: error.stack };
  }
  const original = error instanceof Error ? error : new Error(String(error));
  const wrapped = new OperationFailedError({
    operation: context.operation ?? "unknown",
    errorName: original.name,
    message: `${context.operation ? `Operation "${context.operation}" failed in the worker: ` : ""}${original.name}: ${original.message}`,
  });
  return { code: wrapped.code, name: wrapped.name, message: wrapped.message, fields: wrapped.toFields(), stack: original.stack };
}

/**
 * Rebuilds the typed class of a serialized error, so `instanceof` and
 * `isInstance` work on the client. An unknown code gives a plain `ReinError`
 * that keeps the code and message. The worker's stack is kept as `cause`.
 */
export function deserializeError(data: unknown): ReinError {
  const record = (typeof data === "object" && data !== null ? data : {}) as Partial<SerializedErrorData>;
  const code = typeof record.code === "number" ? record.code : ErrorCode.Generic;
  const message = typeof record.message === "string" ? record.message : "Unknown error from the Rein worker";
  const fields = typeof record.fields === "object" && record.fields !== null ? record.fields : {};
  const factory = FACTORIES.get(code);
  const error = factory ? factory({ ...fields, message }) : new ReinError(message, { code });
  if (typeof record.stack === "string") {
    error.stack = `${error.stack ?? ""}\n--- worker stack ---\n${record.stack}`;
  }
  return error;
}
