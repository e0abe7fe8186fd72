import { describe, expect, it } from "vitest";
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
import { ReinError, type ReinErrorClass } from "./rein-error.ts";
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
import { deserializeError, KNOWN_ERROR_CODES, serializeError } from "./serialize-error.ts";

const partial = { text: "partial", stats: { promptTokens: 3, evaluatedPromptTokens: 3, generatedTokens: 2, timeToFirstTokenMs: 1, durationMs: 2, tokensPerSecond: null } };
const requestId = "3b241101-e2bb-4255-8caf-4136c566a962";

/** One instance of every class in the table, with every typed field set. */
const samples: [ReinErrorClass<ReinError>, ReinError, Record<string, unknown>][] = [
  [InvalidInputError, new InvalidInputError({ field: "history.0.role", reason: "bad", operation: "completion" }), { field: "history.0.role", reason: "bad", operation: "completion" }],
  [RequestIdConflictError, new RequestIdConflictError({ requestId }), { requestId }],
  [RequestNotFoundError, new RequestNotFoundError({ requestId }), { requestId }],
  [InferenceCancelledError, new InferenceCancelledError({ requestId, reason: "modelUnloaded", partial }), { requestId, reason: "modelUnloaded", partial }],
  [RequestRejectedByPolicyError, new RequestRejectedByPolicyError({ requestId, kind: "completion", modelId: "m", reason: "queue full (64 waiting)", rule: "queueFull" }), { requestId, kind: "completion", modelId: "m", rule: "queueFull" }],
  [RequestTimeoutError, new RequestTimeoutError({ requestId, timeoutMs: 250, phase: "queued", partial }), { requestId, timeoutMs: 250, phase: "queued", partial }],
  [ToolCallFailedError, new ToolCallFailedError({ requestId, toolCallId: "call_1", toolName: "weather", reason: "executeFailed" }), { requestId, toolCallId: "call_1", toolName: "weather", reason: "executeFailed" }],
  [ContextOverflowError, new ContextOverflowError({ promptTokens: 9000, contextSize: 2048, modelId: "m" }), { promptTokens: 9000, contextSize: 2048, modelId: "m" }],
  [ModelNotFoundError, new ModelNotFoundError({ modelSrc: "/x.gguf" }), { modelSrc: "/x.gguf" }],
  [ModelNotLoadedError, new ModelNotLoadedError({ modelId: "m" }), { modelId: "m" }],
  [ModelLoadFailedError, new ModelLoadFailedError({ modelSrc: "/x.gguf" }), { modelSrc: "/x.gguf" }],
  [DownloadFailedError, new DownloadFailedError({ url: "http://127.0.0.1/x", failure: "http", status: 404 }), { url: "http://127.0.0.1/x", failure: "http", status: 404 }],
  [ChecksumMismatchError, new ChecksumMismatchError({ url: "http://127.0.0.1/x", expected: "a", actual: "b" }), { expected: "a", actual: "b" }],
  [UnknownOperationError, new UnknownOperationError({ operation: "nope" }), { operation: "nope" }],
  [OperationFailedError, new OperationFailedError({ operation: "embed", errorName: "TypeError" }), { operation: "embed", errorName: "TypeError" }],
  [WorkerCrashedError, new WorkerCrashedError({ exitCode: null, signal: "SIGKILL" }), { exitCode: null, signal: "SIGKILL", reason: null }],
  [WorkerShutdownError, new WorkerShutdownError(), {}],
  [WorkerStartFailedError, new WorkerStartFailedError({ reason: "no handshake" }), { reason: "no handshake" }],
  [ProtocolError, new ProtocolError({ reason: "bad frame" }), { reason: "bad frame" }],
  [ServerUnreachableError, new ServerUnreachableError({ address: "ws://127.0.0.1:8080/rein", reason: "connection refused" }), { address: "ws://127.0.0.1:8080/rein", reason: "connection refused" }],
  [PeerUnreachableError, new PeerUnreachableError({ publicKey: "ab".repeat(32), reason: "no hello within 1500 ms (3 attempts)" }), { publicKey: "ab".repeat(32), reason: "no hello within 1500 ms (3 attempts)" }],
  [PermissionDeniedError, new PermissionDeniedError({ operation: "downloadAsset", reason: "remote connections cannot fetch URLs" }), { operation: "downloadAsset", reason: "remote connections cannot fetch URLs" }],
  [AsyncDisposeUnavailableError, new AsyncDisposeUnavailableError(), {}],
  [WorkspaceNotFoundError, new WorkspaceNotFoundError({ workspace: "notes" }), { workspace: "notes", field: "workspace" }],
  [WorkspaceLockedError, new WorkspaceLockedError({ workspace: "notes", ownerPid: 4242, lockPath: "/c/rag/notes/lock" }), { workspace: "notes", field: "workspace", ownerPid: 4242, lockPath: "/c/rag/notes/lock" }],
  [EmbeddingDimensionMismatchError, new EmbeddingDimensionMismatchError({ workspace: "notes", field: "items.2.embedding", expected: 128, actual: 3 }), { workspace: "notes", field: "items.2.embedding", expected: 128, actual: 3 }],
];

describe("the error table", () => {
  it("covers every code with exactly one class, and every class is in the wire table", () => {
    expect(samples.map(([ErrorClass]) => ErrorClass.code).sort()).toEqual([...KNOWN_ERROR_CODES].sort());
    expect(new Set(Object.values(ErrorCode)).size).toBe(Object.values(ErrorCode).length);
  });

  it.each(samples)("%o round-trips with its class, code, name, message and typed fields", (ErrorClass, original, fields) => {
    const rebuilt = deserializeError(JSON.parse(JSON.stringify(serializeError(original))));
    expect(rebuilt).toBeInstanceOf(ErrorClass);
    expect(rebuilt).toBeInstanceOf(ReinError);
    expect(rebuilt).toBeInstanceOf(Error);
    expect(ReinError.isInstance.call(ErrorClass, rebuilt)).toBe(true);
    expect(rebuilt.code).toBe(ErrorClass.code);
    expect(rebuilt.name).toBe(original.name);
    expect(rebuilt.name).toBe(ErrorClass.name);
    expect(rebuilt.message).toBe(original.message);
    expect(rebuilt).toMatchObject(fields);
    expect(rebuilt.stack).toContain("--- worker stack ---");
  });

  it("isInstance works across copies of the package (brand + code), and tells classes apart", () => {
    const foreign = Object.assign(Object.create(Error.prototype) as object, { code: ErrorCode.InferenceCancelled, requestId });
    Object.defineProperty(foreign, Symbol.for("@rein/error"), { value: true });
    expect(foreign instanceof InferenceCancelledError).toBe(false);
    expect(InferenceCancelledError.isInstance(foreign)).toBe(true);
    expect(ReinError.isInstance(foreign)).toBe(true);
    expect(RequestTimeoutError.isInstance(foreign)).toBe(false);
    expect(InferenceCancelledError.isInstance(new Error("plain"))).toBe(false);
    expect(InferenceCancelledError.isInstance({ code: ErrorCode.InferenceCancelled })).toBe(false);
  });

  it("an unknown code becomes a generic ReinError that keeps code and message", () => {
    const rebuilt = deserializeError({ code: 59999, message: "from a newer worker", fields: { extra: 1 } });
    expect(rebuilt).toBeInstanceOf(ReinError);
    expect(rebuilt.constructor).toBe(ReinError);
    expect(rebuilt).toMatchObject({ code: 59999, message: "from a newer worker" });
    expect(deserializeError(null)).toMatchObject({ code: ErrorCode.Generic });
  });

  it("a non-Rein error (TypeError, string, null) serializes as OperationFailedError naming the original", () => {
    expect(deserializeError(serializeError(new TypeError("x is undefined"), { operation: "embed" }))).toMatchObject({
      code: 52500,
      operation: "embed",
      errorName: "TypeError",
    });
    expect(deserializeError(serializeError("a string"))).toBeInstanceOf(OperationFailedError);
    expect(deserializeError(serializeError(null))).toBeInstanceOf(OperationFailedError);
  });

  it("keeps a cause", () => {
    const cause = new Error("root");
    expect(new ModelLoadFailedError({ modelSrc: "/x.gguf", cause }).cause).toBe(cause);
  });
});
