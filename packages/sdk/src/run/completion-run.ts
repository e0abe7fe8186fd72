import {
  InferenceCancelledError,
  RequestTimeoutError,
  serializeError,
  type CancelReason,
  type CancelResult,
  type CompletionEvent,
  type CompletionStats,
  type ChatMessage,
  type StopReason,
  type ToolCallData,
} from "@rein/protocol";
import type { z } from "zod";
import type { ClientRequest } from "../requests/client-request.ts";
import { ToolLoop, type ToolLoopOptions } from "../tools/tool-loop.ts";
import { historyAfterRun, type CompletionStep } from "./run-history.ts";
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
  /** Everything the model answered, across every step of a tool loop. */
  contentText: string;
  stopReason: StopReason;
  /** Totals over the run's model turns (`steps` has each one's). */
  stats: CompletionStats | undefined;
  /** Every call the model made, in order, across steps. */
  toolCalls: ToolCallData[];
  /** Thought segments (`<think>`), unless `includeThinking: false`. */
  thinkingText: string;
  /** With `responseFormat: { type: "json_schema" }`: the parsed value, checked against the schema; else undefined. */
  object: unknown;
  /** One entry per model turn: its text, its calls, its stats (e.g. the prompt tokens a second turn evaluated). */
  steps: CompletionStep[];
  /** This run's assistant turns (with their tool calls) and `tool` results, in order. */
  messages: ChatMessage[];
  /** The input history plus `messages`: ready for the next `completion()` (answer open calls first). */
  history: ChatMessage[];
}

/** What the worker's completion op answers (see `@rein/server` completionOp). */
interface CompletionReply {
  text: string;
  stopReason: StopReason;
  stats: CompletionStats;
  cancelReason?: CancelReason | "timeout" | null;
  toolCalls?: ToolCallData[];
  thinkingText?: string;
  steps?: CompletionStep[];
  object?: unknown;
}

/** What a run does beyond plain text; the client fills it from the completion params. */
export interface CompletionFeatures {
  /** The history the run was started with, for `final.history`. */
  history?: readonly ChatMessage[];
  /** Present when the run executes tools in the app. */
  tools?: Omit<ToolLoopOptions, "requestId" | "push" | "onFailure">;
  /** A zod schema of `responseFormat`: `final.object` must pass it. */
  objectSchema?: z.ZodType;
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
  readonly toolCalls: Promise<ToolCallData[]>;
  readonly #queue = new ReplayQueue<CompletionEvent>({ merge: joinDeltas });
  readonly #cancel: () => Promise<CancelResult>;
  readonly #features: CompletionFeatures;
  readonly #toolLoop: ToolLoop | undefined;
  readonly #calls: ToolCallData[] = [];
  #seq = 0;
  #streamedText = "";
  #thinkingText = "";

  constructor(request: ClientRequest, cancel: () => Promise<CancelResult>, features: CompletionFeatures = {}) {
    this.requestId = request.requestId;
    this.#cancel = cancel;
    this.#features = features;
    this.#toolLoop =
      features.tools &&
      new ToolLoop({
        ...features.tools,
        requestId: request.requestId,
        push: (event) => this.#push(event),
        // The worker waits for an answer that will not come: stop it; the run rejects with the failure.
        onFailure: () => void this.#cancel().catch(() => undefined),
      });
    // Whatever settles the request (reply, cancel, deadline, worker death) also stops a tool still running.
    request.onSettle(() => this.#toolLoop?.abort());
    request.onFrame = (frame) => {
      if (frame.type !== "chunk" || this.#queue.ended) return;
      const chunk = frame.value as { type?: string; text?: unknown; calls?: unknown; parsedAt?: unknown };
      if (chunk.type === "contentDelta" && typeof chunk.text === "string") {
        this.#streamedText += chunk.text;
        this.#push({ type: "contentDelta", text: chunk.text });
      } else if (chunk.type === "thinkingDelta" && typeof chunk.text === "string") {
        this.#thinkingText += chunk.text;
        this.#push({ type: "thinkingDelta", text: chunk.text });
      } else if (chunk.type === "toolCalls" && Array.isArray(chunk.calls)) {
        const calls = chunk.calls as ToolCallData[];
        for (const call of calls) {
          this.#calls.push(call);
          this.#push(typeof chunk.parsedAt === "number" ? { type: "toolCall", call, parsedAt: chunk.parsedAt } : { type: "toolCall", call });
        }
        void this.#toolLoop?.onCalls(calls);
      }
    };
    // The stop is confirmed: end the stream now instead of one decode step and a reply later.
    request.onCancelAcknowledged = () => {
      this.#toolLoop?.abort();
      this.#endStream("cancelled");
    };
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

  /** Thought text streamed so far. */
  get partialThinkingText(): string {
    return this.#thinkingText;
  }

  /** Same as `client.cancel({ requestId: run.requestId })`. Idempotent. */
  cancel(): Promise<CancelResult> {
    if (this.#queue.ended) return Promise.resolve({ cancelled: 0 });
    // A tool running now sees its signal abort at once, not a round trip later.
    this.#toolLoop?.abort();
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
    const toolCalls = reply.toolCalls ?? this.#calls;
    const thinkingText = reply.thinkingText ?? this.#thinkingText;
    const partial = { text, stats: reply.stats, toolCalls, thinkingText };
    const failure = this.#toolLoop?.failure;
    if (failure) {
      this.#push({ type: "completionDone", stopReason: "error", error: serializeError(failure) });
      this.#queue.end(failure);
      throw failure;
    }
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
    const steps = reply.steps ?? [{ text, toolCalls: [], stats: reply.stats }];
    const messages = historyAfterRun([], steps, this.#toolLoop?.contents);
    return {
      contentText: text,
      stopReason: reply.stopReason,
      stats: reply.stats,
      toolCalls,
      thinkingText,
      object: this.#checkedObject(reply.object),
      steps,
      messages,
      history: [...(this.#features.history ?? []), ...messages],
    };
  }

  /** The worker's grammar guarantees the JSON Schema form; a zod schema may check more (refinements). */
  #checkedObject(object: unknown): unknown {
    if (object === undefined || !this.#features.objectSchema) return object;
    const parsed = this.#features.objectSchema.safeParse(object);
    return parsed.success ? parsed.data : undefined;
  }

  #fail(error: unknown, request: ClientRequest): never {
    const partial = { text: this.#streamedText, toolCalls: [...this.#calls], thinkingText: this.#thinkingText };
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
