import {
  InferenceCancelledError,
  RequestTimeoutError,
  serializeError,
  type CancelReason,
  type CancelResult,
  type CompletionEvent,
  type CompletionStats,
  type StopReason,
} from "@rein/protocol";
import type { ClientRequest } from "../requests/client-request.ts";
import { quietly } from "../requests/decorated-promise.ts";
import { ReplayQueue } from "./replay-queue.ts";

type WithoutSeq<Event> = Event extends unknown ? Omit<Event, "seq"> : never;

/** Two adjacent text deltas as one (the replay buffer's bound); any other pair stays apart. */
function joinDeltas(earlier: CompletionEvent, later: CompletionEvent): CompletionEvent | undefined {
  if (earlier.type !== "contentDelta" || later.type !== "contentDelta") return undefined;
  return { type: "contentDelta", text: earlier.text + later.text, seq: later.seq };
}

/** What a finished completion resolves to. */
export interface CompletionFinal {
  contentText: string;
  stopReason: StopReason;
  stats: CompletionStats | undefined;
  toolCalls: unknown[];
}

/** What the worker's completion op answers (see `@rein/server` completionOp). */
interface CompletionReply {
  text: string;
  stopReason: StopReason;
  stats: CompletionStats;
  cancelReason?: CancelReason | "timeout" | null;
}

/**
 * A running chat completion, returned synchronously by `completion()`.
 *
 * - `events` ends with exactly one `completionDone`; nothing comes after it.
 * - On cancel or deadline, `events` still ends normally (`stopReason:
 *   "cancelled" | "timeout"`) while `final`, `text`, `stats` and `toolCalls`
 *   reject with `InferenceCancelledError` / `RequestTimeoutError` carrying the
 *   partial output.
 * - Leaving `for await (... of run.events)` early, `run.cancel()`, and
 *   `await using run = completion(...)` all cancel the request.
 *
 * @example
 * ```ts
 * await using run = client.completion({ modelId, history });
 * for await (const event of run.events) {
 *   if (event.type === "contentDelta") process.stdout.write(event.text);
 *   if (event.type === "completionDone") console.log(`\n[${event.stopReason}]`);
 * }
 * ```
 */
export class CompletionRun implements AsyncDisposable {
  readonly requestId: string;
  readonly final: Promise<CompletionFinal>;
  readonly text: Promise<string>;
  readonly stats: Promise<CompletionStats>;
  readonly toolCalls: Promise<unknown[]>;
  readonly #queue = new ReplayQueue<CompletionEvent>({ merge: joinDeltas });
  readonly #cancel: () => Promise<CancelResult>;
  #seq = 0;
  #streamedText = "";

  constructor(request: ClientRequest, cancel: () => Promise<CancelResult>) {
    this.requestId = request.requestId;
    this.#cancel = cancel;
    request.onFrame = (frame) => {
      if (frame.type !== "chunk" || this.#queue.ended) return;
      const chunk = frame.value as { type?: string; text?: unknown };
      if (chunk.type === "contentDelta" && typeof chunk.text === "string") {
        this.#streamedText += chunk.text;
        this.#push({ type: "contentDelta", text: chunk.text });
      }
    };
    // The stop is confirmed: end the stream now instead of one decode step and a reply later.
    request.onCancelAcknowledged = () => this.#endStream("cancelled");
    this.final = quietly(request.result.then((value) => this.#finish(value as CompletionReply, request), (error: unknown) => this.#fail(error, request)));
    this.text = quietly(this.final.then((final) => final.contentText));
    this.stats = quietly(this.final.then((final) => final.stats as CompletionStats));
    this.toolCalls = quietly(this.final.then((final) => final.toolCalls));
  }

  /**
   * Every event of the run, from the first; a second loop replays them. Leaving a loop early cancels the run.
   * The replay buffer is bounded: beyond 1,024 buffered events, adjacent text deltas that no open loop stands
   * between are joined, so a loop started late gets all of the text in fewer, longer deltas (their `seq` is
   * that of the last joined piece: still increasing, with gaps). A loop that keeps up sees every delta.
   */
  get events(): AsyncIterable<CompletionEvent> {
    return { [Symbol.asyncIterator]: () => this.#queue.iterate(() => void this.cancel().catch(() => undefined)) };
  }

  /** Text streamed so far. */
  get partialText(): string {
    return this.#streamedText;
  }

  /** Same as `client.cancel({ requestId: run.requestId })`. Idempotent. */
  cancel(): Promise<CancelResult> {
    if (this.#queue.ended) return Promise.resolve({ cancelled: 0 });
    return this.#cancel();
  }

  /** `await using`: cancels the run if it is still going when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#queue.ended) await this.cancel().catch(() => undefined);
  }

  /** Pushes the one `completionDone` and closes the stream; later calls do nothing. */
  #endStream(stopReason: StopReason): void {
    if (this.#queue.ended) return;
    this.#push({ type: "completionDone", stopReason });
    this.#queue.end();
  }

  #push(event: WithoutSeq<CompletionEvent>): void {
    this.#queue.push({ ...event, seq: this.#seq++ } as CompletionEvent);
  }

  #finish(reply: CompletionReply, request: ClientRequest): CompletionFinal {
    // stream:false sends its text in one chunk at the end; the reply's text is authoritative.
    const text = reply.text ?? this.#streamedText;
    const partial = { text, stats: reply.stats, toolCalls: [] };
    // A stopped run's stats travel in its error's `partial`; its stream ends with the done event alone.
    if (reply.stopReason !== "cancelled" && reply.stopReason !== "timeout") this.#push({ type: "completionStats", stats: reply.stats });
    this.#endStream(reply.stopReason);
    if (reply.stopReason === "cancelled") {
      const reason = reply.cancelReason && reply.cancelReason !== "timeout" ? reply.cancelReason : "user";
      throw new InferenceCancelledError({ requestId: this.requestId, reason, partial, cause: request.abortCause });
    }
    if (reply.stopReason === "timeout") {
      throw new RequestTimeoutError({ requestId: this.requestId, timeoutMs: request.timeoutMs, phase: "running", partial });
    }
    return { contentText: text, stopReason: reply.stopReason, stats: reply.stats, toolCalls: [] };
  }

  #fail(error: unknown, request: ClientRequest): never {
    const partial = { text: this.#streamedText, toolCalls: [] };
    if (InferenceCancelledError.isInstance(error)) {
      this.#endStream("cancelled");
      throw new InferenceCancelledError({ requestId: this.requestId, reason: error.reason, partial, cause: request.abortCause ?? error.cause });
    }
    if (RequestTimeoutError.isInstance(error)) {
      this.#endStream("timeout");
      throw new RequestTimeoutError({ requestId: this.requestId, timeoutMs: error.timeoutMs, phase: error.phase, partial });
    }
    this.#push({ type: "completionDone", stopReason: "error", error: serializeError(error) });
    this.#queue.end(error);
    throw error;
  }
}
