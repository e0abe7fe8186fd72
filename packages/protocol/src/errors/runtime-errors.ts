import { ErrorCode } from "./error-codes.ts";
import { ReinError, type ReinErrorOptions } from "./rein-error.ts";

const text = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);
const nullableNumber = (value: unknown): number | null => (typeof value === "number" ? value : null);
const nullableText = (value: unknown): string | null => (typeof value === "string" ? value : null);

export class ModelNotFoundError extends ReinError {
  static override readonly code = ErrorCode.ModelNotFound;
  override name = "ModelNotFoundError";
  readonly modelSrc: string;
  constructor(fields: { modelSrc: string } & ReinErrorOptions) {
    super(fields.message ?? `Model file not found: ${fields.modelSrc}`, fields);
    this.modelSrc = text(fields.modelSrc);
  }
  override toFields() {
    return { modelSrc: this.modelSrc };
  }
}

export class ModelNotLoadedError extends ReinError {
  static override readonly code = ErrorCode.ModelNotLoaded;
  override name = "ModelNotLoadedError";
  readonly modelId: string;
  constructor(fields: { modelId: string } & ReinErrorOptions) {
    super(fields.message ?? `Model "${fields.modelId}" is not loaded`, fields);
    this.modelId = text(fields.modelId);
  }
  override toFields() {
    return { modelId: this.modelId };
  }
}

export class ModelLoadFailedError extends ReinError {
  static override readonly code = ErrorCode.ModelLoadFailed;
  override name = "ModelLoadFailedError";
  readonly modelSrc: string;
  constructor(fields: { modelSrc: string } & ReinErrorOptions) {
    super(fields.message ?? `Could not load model ${fields.modelSrc}`, fields);
    this.modelSrc = text(fields.modelSrc);
  }
  override toFields() {
    return { modelSrc: this.modelSrc };
  }
}

export class ContextOverflowError extends ReinError {
  static override readonly code = ErrorCode.ContextOverflow;
  override name = "ContextOverflowError";
  readonly promptTokens: number | null;
  readonly contextSize: number | null;
  readonly modelId: string;
  constructor(fields: { promptTokens?: number | null; contextSize?: number | null; modelId?: string } & ReinErrorOptions) {
    super(
      fields.message ??
        `The prompt (${fields.promptTokens ?? "?"} tokens) does not fit the context (${fields.contextSize ?? "?"} tokens) of model "${fields.modelId ?? "?"}"`,
      fields,
    );
    this.promptTokens = nullableNumber(fields.promptTokens);
    this.contextSize = nullableNumber(fields.contextSize);
    this.modelId = text(fields.modelId);
  }
  override toFields() {
    return { promptTokens: this.promptTokens, contextSize: this.contextSize, modelId: this.modelId };
  }
}

export type DownloadFailureKind = "http" | "network" | "disk";

export class DownloadFailedError extends ReinError {
  static override readonly code = ErrorCode.DownloadFailed;
  override name = "DownloadFailedError";
  readonly url: string;
  readonly failure: DownloadFailureKind;
  /** HTTP status, when the server answered with an error status. */
  readonly status: number | null;
  constructor(fields: { url: string; failure: DownloadFailureKind; status?: number | null } & ReinErrorOptions) {
    super(
      fields.message ??
        `Download of ${fields.url} failed (${fields.failure}${fields.status != null ? ` ${fields.status}` : ""})`,
      fields,
    );
    this.url = text(fields.url);
    this.failure = (["http", "network", "disk"].includes(fields.failure) ? fields.failure : "network") as DownloadFailureKind;
    this.status = nullableNumber(fields.status);
  }
  override toFields() {
    return { url: this.url, failure: this.failure, status: this.status };
  }
}

export class ChecksumMismatchError extends ReinError {
  static override readonly code = ErrorCode.ChecksumMismatch;
  override name = "ChecksumMismatchError";
  readonly url: string;
  readonly expected: string;
  readonly actual: string;
  constructor(fields: { url: string; expected: string; actual: string } & ReinErrorOptions) {
    super(fields.message ?? `sha256 of ${fields.url} is ${fields.actual}, expected ${fields.expected}`, fields);
    this.url = text(fields.url);
    this.expected = text(fields.expected);
    this.actual = text(fields.actual);
  }
  override toFields() {
    return { url: this.url, expected: this.expected, actual: this.actual };
  }
}

export class UnknownOperationError extends ReinError {
  static override readonly code = ErrorCode.UnknownOperation;
  override name = "UnknownOperationError";
  readonly operation: string;
  constructor(fields: { operation: string } & ReinErrorOptions) {
    super(fields.message ?? `The worker has no operation named "${fields.operation}"`, fields);
    this.operation = text(fields.operation);
  }
  override toFields() {
    return { operation: this.operation };
  }
}

/** A handler inside the worker threw something that is not a Rein error (a bug or a native failure). */
export class OperationFailedError extends ReinError {
  static override readonly code = ErrorCode.OperationFailed;
  override name = "OperationFailedError";
  readonly operation: string;
  /** The `name` of the original error inside the worker, e.g. `TypeError`. */
  readonly errorName: string;
  constructor(fields: { operation: string; errorName?: string } & ReinErrorOptions) {
    super(fields.message ?? `Operation "${fields.operation}" failed in the worker`, fields);
    this.operation = text(fields.operation);
    this.errorName = text(fields.errorName, "Error");
  }
  override toFields() {
    return { operation: this.operation, errorName: this.errorName };
  }
}

export class WorkerCrashedError extends ReinError {
  static override readonly code = ErrorCode.WorkerCrashed;
  override name = "WorkerCrashedError";
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** What the worker said before it died (an uncaught exception), when it could still say it. */
  readonly reason: string | null;
  constructor(fields: { exitCode?: number | null; signal?: string | null; reason?: string | null } & ReinErrorOptions) {
    super(
      fields.message ??
        `The Rein worker process died (exit code ${fields.exitCode ?? "none"}, signal ${fields.signal ?? "none"})${fields.reason ? `: ${fields.reason}` : ""}; models it had loaded are gone and must be loaded again`,
      fields,
    );
    this.exitCode = nullableNumber(fields.exitCode);
    this.signal = nullableText(fields.signal);
    this.reason = nullableText(fields.reason);
  }
  override toFields() {
    return { exitCode: this.exitCode, signal: this.signal, reason: this.reason };
  }
}

export class WorkerShutdownError extends ReinError {
  static override readonly code = ErrorCode.WorkerShutdown;
  override name = "WorkerShutdownError";
  constructor(fields: ReinErrorOptions = {}) {
    super(fields.message ?? "The Rein client was closed", fields);
  }
}

export class WorkerStartFailedError extends ReinError {
  static override readonly code = ErrorCode.WorkerStartFailed;
  override name = "WorkerStartFailedError";
  readonly reason: string;
  constructor(fields: { reason: string } & ReinErrorOptions) {
    super(fields.message ?? `The Rein worker could not start: ${fields.reason}`, fields);
    this.reason = text(fields.reason);
  }
  override toFields() {
    return { reason: this.reason };
  }
}

/** A frame that could not be decoded, a payload over the size limit, or an unknown command. */
export class ProtocolError extends ReinError {
  static override readonly code = ErrorCode.Protocol;
  override name = "ProtocolError";
  readonly reason: string;
  constructor(fields: { reason: string } & ReinErrorOptions) {
    super(fields.message ?? `Protocol error: ${fields.reason}`, fields);
    this.reason = text(fields.reason);
  }
  override toFields() {
    return { reason: this.reason };
  }
}

export class AsyncDisposeUnavailableError extends ReinError {
  static override readonly code = ErrorCode.AsyncDisposeUnavailable;
  override name = "AsyncDisposeUnavailableError";
  constructor(fields: ReinErrorOptions = {}) {
    super(
      fields.message ??
        "This runtime lacks Symbol.asyncDispose; Rein needs Node.js 20.4 or newer so that requests are always cleaned up",
      fields,
    );
  }
}
