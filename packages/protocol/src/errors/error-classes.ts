import type { PartialOutput, ToolErrorReason } from "../events.ts";
import { ErrorCode } from "./error-codes.ts";
import { ReinError, type ReinErrorOptions } from "./rein-error.ts";

/** Why a request was cancelled; travels with the cancel and ends up on the error. */
export type CancelReason =
  | "user"
  | "abortSignal"
  | "parentCancelled"
  | "modelUnloaded"
  | "shutdown"
  | "clientDisconnected";

/** The admission rule behind a `RequestRejectedByPolicyError`. */
/** `perKeyLimit`: the caller's API key already has as many requests in flight as the server allows. */
export type PolicyRule = "maxConcurrent" | "queueFull" | "queueTimeout" | "perKeyLimit";

const text = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);
const nullableNumber = (value: unknown): number | null => (typeof value === "number" ? value : null);

export class InvalidInputError extends ReinError {
  static override readonly code = ErrorCode.InvalidInput;
  override name = "InvalidInputError";
  /** Dotted path of the offending field, e.g. `history.0.role`, or `""` for the whole input. */
  readonly field: string;
  readonly reason: string;
  /** The function or operation that received the input. */
  readonly operation: string;
  constructor(fields: { field: string; reason: string; operation?: string } & ReinErrorOptions) {
    const where = fields.field === "" ? "input" : `"${fields.field}"`;
    super(fields.message ?? `Invalid ${where}${fields.operation ? ` for ${fields.operation}` : ""}: ${fields.reason}`, fields);
    this.field = text(fields.field);
    this.reason = text(fields.reason);
    this.operation = text(fields.operation);
  }
  override toFields() {
    return { field: this.field, reason: this.reason, operation: this.operation };
  }
}

export class RequestIdConflictError extends ReinError {
  static override readonly code = ErrorCode.RequestIdConflict;
  override name = "RequestIdConflictError";
  readonly requestId: string;
  constructor(fields: { requestId: string } & ReinErrorOptions) {
    super(fields.message ?? `Request id "${fields.requestId}" is already running or queued`, fields);
    this.requestId = text(fields.requestId);
  }
  override toFields() {
    return { requestId: this.requestId };
  }
}

export class RequestNotFoundError extends ReinError {
  static override readonly code = ErrorCode.RequestNotFound;
  override name = "RequestNotFoundError";
  readonly requestId: string;
  constructor(fields: { requestId: string } & ReinErrorOptions) {
    super(fields.message ?? `No request with id "${fields.requestId}"`, fields);
    this.requestId = text(fields.requestId);
  }
  override toFields() {
    return { requestId: this.requestId };
  }
}

export class InferenceCancelledError extends ReinError {
  static override readonly code = ErrorCode.InferenceCancelled;
  override name = "InferenceCancelledError";
  readonly requestId: string;
  readonly reason: CancelReason;
  readonly partial: PartialOutput;
  constructor(fields: { requestId: string; reason?: CancelReason; partial?: PartialOutput } & ReinErrorOptions) {
    super(fields.message ?? `Request "${fields.requestId}" was cancelled (${fields.reason ?? "user"})`, fields);
    this.requestId = text(fields.requestId);
    this.reason = (fields.reason ?? "user") as CancelReason;
    this.partial = fields.partial ?? {};
  }
  override toFields() {
    return { requestId: this.requestId, reason: this.reason, partial: this.partial };
  }
}

export class RequestTimeoutError extends ReinError {
  static override readonly code = ErrorCode.RequestTimeout;
  override name = "RequestTimeoutError";
  readonly requestId: string;
  readonly timeoutMs: number | null;
  /** Where the deadline passed: waiting in the queue or while running. */
  readonly phase: "queued" | "running";
  readonly partial: PartialOutput;
  constructor(
    fields: { requestId: string; timeoutMs?: number | null; phase?: "queued" | "running"; partial?: PartialOutput } & ReinErrorOptions,
  ) {
    super(fields.message ?? `Request "${fields.requestId}" passed its deadline${fields.timeoutMs != null ? ` of ${fields.timeoutMs} ms` : ""}`, fields);
    this.requestId = text(fields.requestId);
    this.timeoutMs = nullableNumber(fields.timeoutMs);
    this.phase = fields.phase === "queued" ? "queued" : "running";
    this.partial = fields.partial ?? {};
  }
  override toFields() {
    return { requestId: this.requestId, timeoutMs: this.timeoutMs, phase: this.phase, partial: this.partial };
  }
}

export class RequestRejectedByPolicyError extends ReinError {
  static override readonly code = ErrorCode.RequestRejectedByPolicy;
  override name = "RequestRejectedByPolicyError";
  readonly requestId: string;
  readonly kind: string;
  readonly modelId: string;
  readonly reason: string;
  /** Which rule rejected it, for programs; `reason` says it for people. */
  readonly rule: PolicyRule;
  constructor(
    fields: { requestId: string; kind: string; modelId: string; reason: string; rule?: PolicyRule } & ReinErrorOptions,
  ) {
    super(
      fields.message ??
        `Request "${fields.requestId}" (kind: ${fields.kind}, modelId: ${fields.modelId}) was rejected by the concurrency policy: ${fields.reason}`,
      fields,
    );
    this.requestId = text(fields.requestId);
    this.kind = text(fields.kind);
    this.modelId = text(fields.modelId);
    this.reason = text(fields.reason, this.message);
    this.rule = fields.rule ?? "maxConcurrent";
  }
  override toFields() {
    return { requestId: this.requestId, kind: this.kind, modelId: this.modelId, reason: this.reason, rule: this.rule };
  }
}

/**
 * A tool call failed and the app asked for fail-fast (`toolErrors: "throw"`)
 * instead of handing the error back to the model. `cause` is what `execute` threw.
 */
export class ToolCallFailedError extends ReinError {
  static override readonly code = ErrorCode.ToolCallFailed;
  override name = "ToolCallFailedError";
  readonly requestId: string;
  readonly toolCallId: string;
  readonly toolName: string;
  readonly reason: ToolErrorReason;
  constructor(fields: { requestId: string; toolCallId: string; toolName: string; reason: ToolErrorReason } & ReinErrorOptions) {
    super(fields.message ?? `Tool call ${fields.toolCallId} (${fields.toolName}) failed: ${fields.reason}`, fields);
    this.requestId = text(fields.requestId);
    this.toolCallId = text(fields.toolCallId);
    this.toolName = text(fields.toolName);
    this.reason = text(fields.reason, "executeFailed") as ToolErrorReason;
  }
  override toFields() {
    return { requestId: this.requestId, toolCallId: this.toolCallId, toolName: this.toolName, reason: this.reason };
  }
}
