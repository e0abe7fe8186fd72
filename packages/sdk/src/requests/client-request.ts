import { InferenceCancelledError, RequestTimeoutError, type CancelReason, type Frame, type RequestKind } from "@rein/protocol";

export type ClientRequestState = "unsent" | "sent" | "settled";

/**
 * The client's side of one request: its id, what it targets, and its one
 * settlement. A request cancelled before it was written to the worker is
 * settled here and never sent at all.
 */
export class ClientRequest {
  readonly requestId: string;
  readonly op: string;
  readonly kind: RequestKind;
  readonly modelId: string | undefined;
  /** The RAG workspace it works on, for `cancel({ operation: "rag", workspace })` of requests not sent yet. */
  readonly workspace: string | undefined;
  readonly deadline: number | null;
  readonly timeoutMs: number | undefined;
  readonly result: Promise<unknown>;
  state: ClientRequestState = "unsent";
  cancelled = false;
  /** The abort reason of the caller's signal, kept as `cause` on the cancel error. */
  abortCause: unknown = undefined;
  onFrame: (frame: Frame) => void = () => undefined;
  /**
   * The worker confirmed it cancelled this request. Every frame it sent before
   * the abort has arrived by then (one ordered pipe), so a stream can end now;
   * the reply with the final stats follows within one decode step.
   */
  onCancelAcknowledged: () => void = () => undefined;
  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;
  readonly #cleanups: (() => void)[] = [];

  constructor(options: { requestId: string; op: string; kind: RequestKind; modelId?: string; workspace?: string; timeoutMs?: number }) {
    this.requestId = options.requestId;
    this.op = options.op;
    this.kind = options.kind;
    this.modelId = options.modelId;
    this.workspace = options.workspace;
    this.timeoutMs = options.timeoutMs;
    this.deadline = options.timeoutMs === undefined ? null : Date.now() + options.timeoutMs;
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.result.catch(() => undefined);
  }

  get settled(): boolean {
    return this.state === "settled";
  }

  /** Registers work to undo when the request settles (signal listeners, map entries). */
  onSettle(cleanup: () => void): void {
    if (this.settled) cleanup();
    else this.#cleanups.push(cleanup);
  }

  resolve(value: unknown): void {
    if (this.#settle()) this.#resolve(value);
  }

  reject(error: unknown): void {
    if (InferenceCancelledError.isInstance(error) && this.abortCause !== undefined && error.cause === undefined) {
      Object.defineProperty(error, "cause", { value: this.abortCause, configurable: true, writable: true });
    }
    if (this.#settle()) this.#reject(error);
  }

  /** Settles an unsent request as cancelled. Returns false when it was already sent or settled. */
  cancelUnsent(reason: CancelReason, cause?: unknown): boolean {
    if (this.state !== "unsent") return false;
    this.cancelled = true;
    if (cause !== undefined) this.abortCause = cause;
    this.reject(new InferenceCancelledError({ requestId: this.requestId, reason, partial: {}, cause }));
    return true;
  }

  /** Settles an unsent request whose deadline passed before it could be sent. */
  timeOutUnsent(): void {
    this.reject(new RequestTimeoutError({ requestId: this.requestId, timeoutMs: this.timeoutMs, phase: "queued" }));
  }

  #settle(): boolean {
    if (this.state === "settled") return false;
    this.state = "settled";
    for (const cleanup of this.#cleanups.splice(0).reverse()) cleanup();
    return true;
  }
}
