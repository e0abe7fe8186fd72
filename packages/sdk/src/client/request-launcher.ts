import {
  Command,
  InferenceCancelledError,
  InvalidInputError,
  parseInput,
  ReinError,
  RequestIdConflictError,
  WorkerShutdownError,
  type CancelReason,
  type FrameMessage,
  type NormalizedCancelTarget,
  type ProgressEvent,
  type RequestKind,
} from "@rein/protocol";
import type { z } from "zod";
import { ClientRequest } from "../requests/client-request.ts";
import { newRequestId } from "../requests/request-id.ts";
import { validateRequestOptions } from "../requests/request-options.ts";
import { unserializableField } from "../requests/unserializable-field.ts";
import type { RequestOptions } from "./client-options.ts";
import type { WorkerSupervisor } from "./worker-supervisor.ts";

export interface LaunchOptions extends RequestOptions {
  op: string;
  kind: RequestKind;
  input: unknown;
  /** The model the request runs on, for broad cancels of requests not sent yet. */
  modelId?: string;
  /** The RAG workspace it works on, for workspace cancels of requests not sent yet. */
  workspace?: string;
  /** Validated on the client first, so bad input fails before anything is sent. */
  schema?: z.ZodType;
  /** A hand-written check of the common shapes that `schema` accepts (true: valid, skip the schema; false: let it decide). */
  accepts?: (input: unknown) => boolean;
  onProgress?: (progress: ProgressEvent) => void;
}

/**
 * The client's requests in flight: creates each one synchronously (its id
 * exists before any await), sends it once the worker is ready, routes the
 * worker's frames to it by requestId, and settles what the worker never saw.
 */
export class RequestLauncher {
  readonly #requests = new Map<string, ClientRequest>();
  readonly #supervisor: WorkerSupervisor;
  readonly #cancelById: (requestId: string, reason: CancelReason) => Promise<unknown>;

  constructor(supervisor: WorkerSupervisor, cancelById: (requestId: string, reason: CancelReason) => Promise<unknown>) {
    this.#supervisor = supervisor;
    this.#cancelById = cancelById;
  }

  /** The request in flight under `requestId` (not settled yet), if this launcher holds one. */
  get(requestId: string): ClientRequest | undefined {
    return this.#requests.get(requestId);
  }

  /** Hands a streamed frame to its request. */
  route(message: FrameMessage): void {
    this.#requests.get(message.requestId)?.onFrame(message.frame);
  }

  /** Creates the request now and sends it as soon as the worker can take it; never throws (errors settle it). */
  launch(options: LaunchOptions): ClientRequest {
    // Validate before building anything from the options: `Date.now() + timeoutMs` with a Symbol, a BigInt or
    // an object whose valueOf throws would otherwise throw synchronously out of a call that must never throw.
    let invalid: unknown;
    try {
      validateRequestOptions(options);
      if (options.schema && options.accepts?.(options.input) !== true) parseInput(options.schema, options.input, options.op);
    } catch (error) {
      // A getter that throws while being validated is bad input too, not a crash of the call.
      invalid = ReinError.isInstance(error) ? error : new InvalidInputError({ field: "", reason: `could not be read (${error instanceof Error ? error.message : "a thrown non-error"})`, operation: typeof options.op === "string" ? options.op : "call", cause: error });
    }
    const request = new ClientRequest({
      requestId: typeof options.requestId === "string" && invalid === undefined ? options.requestId : newRequestId(),
      op: typeof options.op === "string" ? options.op : "call",
      kind: invalid === undefined ? options.kind : "custom",
      modelId: typeof options.modelId === "string" ? options.modelId : undefined,
      workspace: typeof options.workspace === "string" ? options.workspace : undefined,
      timeoutMs: invalid === undefined ? options.timeoutMs : undefined,
    });
    try {
      if (invalid !== undefined) throw invalid;
      if (this.#supervisor.closed) throw new WorkerShutdownError();
      // Same answer the worker's registry gives; checked here too because frames are routed by requestId.
      if (this.#requests.has(request.requestId)) throw new RequestIdConflictError({ requestId: request.requestId });
    } catch (error) {
      request.reject(error);
      return request;
    }
    const parentRequestId = typeof options.parent === "string" ? options.parent : options.parent?.requestId;
    if (options.onProgress) {
      const onProgress = options.onProgress;
      request.onFrame = (frame) => {
        if (frame.type === "progress") onProgress(frame.progress);
      };
    }
    if (options.signal?.aborted) {
      // Nothing is sent: the worker never hears of a request whose signal was aborted in advance.
      request.cancelUnsent("abortSignal", options.signal.reason);
      return request;
    }
    if (parentRequestId && this.#requests.get(parentRequestId)?.cancelled) {
      request.cancelUnsent("parentCancelled");
      return request;
    }
    this.#requests.set(request.requestId, request);
    request.onSettle(() => this.#requests.delete(request.requestId));
    if (options.signal) this.#bindSignal(request, options.signal);
    void this.#send(request, options.input, parentRequestId);
    return request;
  }

  /** Settles the matching requests that were not sent yet; returns how many it stopped. */
  cancelUnsent(target: NormalizedCancelTarget, reason: CancelReason): number {
    let cancelled = 0;
    for (const request of this.#requests.values()) {
      const matches =
        target.operation === "request"
          ? request.requestId === target.requestId
          : target.operation === "rag"
            ? request.workspace === target.workspace
            : request.modelId === target.modelId && (target.kind === undefined || request.kind === target.kind);
      if (matches && request.cancelUnsent(reason)) cancelled += 1;
    }
    return cancelled;
  }

  /** The worker confirmed the cancel of `requestId` (by id, so it knows which one). */
  acknowledgeCancel(requestId: string): void {
    this.#requests.get(requestId)?.onCancelAcknowledged();
  }

  /** The worker is gone: every request it had settles with `error`; unsent ones wait for the next worker. */
  failSent(error: ReinError): void {
    for (const request of this.#requests.values()) if (request.state === "sent") request.reject(error);
  }

  /** Closing: unsent requests end cancelled, and whatever is still open afterwards fails with WorkerShutdownError. */
  cancelAllUnsent(): void {
    for (const request of this.#requests.values()) request.cancelUnsent("shutdown");
  }

  rejectAll(error: ReinError): void {
    for (const request of this.#requests.values()) request.reject(error);
  }

  #bindSignal(request: ClientRequest, signal: AbortSignal): void {
    // One listener per request, removed when it settles: long-lived signals must not collect listeners.
    const onAbort = () => {
      request.abortCause = signal.reason;
      void this.#cancelById(request.requestId, "abortSignal").catch(() => undefined);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    request.onSettle(() => signal.removeEventListener("abort", onAbort));
  }

  async #send(request: ClientRequest, input: unknown, parentRequestId: string | undefined): Promise<void> {
    try {
      // Never send in the tick the request was made: a cancel issued right after it (a Stop button wired
      // to the requestId, a same-tick abort) then settles it here, and the model never sees it.
      await Promise.resolve();
      const connection = this.#supervisor.live ?? (await this.#supervisor.connect());
      if (request.settled) return;
      let timeoutMs: number | undefined;
      if (request.deadline !== null) {
        timeoutMs = Math.ceil(request.deadline - Date.now());
        if (timeoutMs <= 0) return request.timeOutUnsent();
      }
      request.state = "sent";
      const value = await connection.request(Command.call, { op: request.op, requestId: request.requestId, input, parentRequestId, timeoutMs }).catch((error: unknown) => {
        throw serializationFailure(error, input, request.op) ?? error;
      });
      request.resolve(value);
    } catch (error) {
      if (InferenceCancelledError.isInstance(error)) request.cancelled = true;
      request.reject(error);
    }
  }
}

/**
 * A JSON encoding failure of the call (only the input can cause one: the rest is ours) as an
 * InvalidInputError naming the field, instead of the bare TypeError JSON.stringify throws.
 */
function serializationFailure(error: unknown, input: unknown, op: string): InvalidInputError | undefined {
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "number") return undefined;
  const found = unserializableField(input);
  if (!found) return undefined;
  return new InvalidInputError({ field: found.field, reason: found.reason, operation: op, cause: error });
}
