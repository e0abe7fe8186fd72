import { ToolCallFailedError, WorkerCrashedError, WorkerShutdownError, type CompletionEvent, type ToolCallData, type ToolResultsInput } from "@rein/protocol";
import { runToolCall, type ToolOutcome } from "./run-tool-call.ts";
import type { ToolSet } from "./tool-definition.ts";

type WithoutSeq<Event> = Event extends unknown ? Omit<Event, "seq"> : never;
type ToolEvent = WithoutSeq<Extract<CompletionEvent, { type: "toolResult" | "toolError" }>>;
export type ToolAnswer = ToolResultsInput extends infer Answer ? (Answer extends unknown ? Omit<Answer, "requestId"> : never) : never;

export interface ToolLoopOptions {
  tools: ToolSet;
  maxSteps: number;
  /** `"feedBack"`: a failed call becomes a `toolError` the model reads; `"throw"`: the run fails with ToolCallFailedError. */
  toolErrors: "feedBack" | "throw";
  requestId: string;
  push: (event: ToolEvent) => void;
  /** Sends the answer to the worker (the `completion.toolResults` control). */
  send: (answer: ToolAnswer) => Promise<unknown>;
  /**
   * The loop cannot go on (the answer was refused, e.g. over the payload limit, or a bug): the run must
   * stop instead of leaving the worker waiting. `failure` holds the error the run rejects with.
   */
  onFailure?: (error: unknown) => void;
}

/** Default cap on model turns of one run. */
export const DEFAULT_MAX_STEPS = 8;

/**
 * The app side of a tool loop, under the run's one requestId: after each
 * model turn with calls it runs the tools (in parallel, each with the run's
 * AbortSignal), reports `toolResult` / `toolError`, and tells the worker to
 * continue with the results or to stop (a tool without `execute`, the step
 * cap, a fail-fast error). Once aborted it sends nothing more, and a tool
 * still running is left behind: its late result is discarded.
 */
export class ToolLoop {
  /** The JSON text each call's result was sent as, by call id (for the run's history). */
  readonly contents = new Map<string, string>();
  /** Set when `toolErrors: "throw"` or a refused answer stopped the run; the run rejects with it. */
  failure: unknown;
  readonly #controller = new AbortController();
  readonly #options: ToolLoopOptions;
  #steps = 0;

  constructor(options: ToolLoopOptions) {
    this.#options = options;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops the loop: every running `execute` sees its signal abort, and no answer goes to the worker. */
  abort(reason?: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** Handles the calls of one finished model turn. Never throws: a failure stops the run instead. */
  async onCalls(calls: readonly ToolCallData[]): Promise<void> {
    try {
      await this.#handle(calls);
    } catch (error) {
      this.#fail(error);
    }
  }

  async #handle(calls: readonly ToolCallData[]): Promise<void> {
    this.#steps += 1;
    const { tools, requestId } = this.#options;
    const signal = this.#controller.signal;
    if (signal.aborted) return;
    const waitsForApp = calls.some((call) => Object.hasOwn(tools, call.name) && !tools[call.name]!.execute);
    const runnable = calls.filter((call) => !(Object.hasOwn(tools, call.name) && !tools[call.name]!.execute));
    const outcomes = await untilAborted(
      Promise.all(
        runnable.map(async (call) => {
          const outcome = await runToolCall(tools, call, { signal, requestId });
          if (!signal.aborted) this.#report(call, outcome);
          return [call, outcome] as const;
        }),
      ),
      signal,
    );
    if (outcomes === undefined || signal.aborted) return;
    const failed = outcomes.find(([, outcome]) => !outcome.ok);
    if (failed && this.#options.toolErrors === "throw") {
      const [call, outcome] = failed as readonly [ToolCallData, Extract<ToolOutcome, { ok: false }>];
      this.failure = new ToolCallFailedError({ requestId, toolCallId: call.id, toolName: call.name, reason: outcome.reason, message: outcome.message, cause: outcome.cause });
      return this.#send({ action: "stop", stopReason: "toolCalls" });
    }
    if (waitsForApp) return this.#send({ action: "stop", stopReason: "toolCalls" });
    if (this.#steps >= this.#options.maxSteps) return this.#send({ action: "stop", stopReason: "maxSteps" });
    return this.#send({ action: "continue", results: runnable.map((call) => ({ id: call.id, content: this.contents.get(call.id)! })) });
  }

  #report(call: ToolCallData, outcome: ToolOutcome): void {
    if (outcome.ok) {
      this.contents.set(call.id, outcome.content);
      this.#options.push({ type: "toolResult", id: call.id, result: outcome.result });
    } else {
      // The model reads the failure as the call's result and can try again or answer without it.
      this.contents.set(call.id, JSON.stringify({ error: outcome.message }));
      this.#options.push({ type: "toolError", id: call.id, error: { reason: outcome.reason, message: outcome.message } });
    }
  }

  async #send(answer: ToolAnswer): Promise<void> {
    if (this.#controller.signal.aborted) return;
    try {
      await this.#options.send(answer);
    } catch (error) {
      // Worker gone: the run settles through its own request. Anything else (a refused answer) must not leave the worker waiting.
      if (!WorkerCrashedError.isInstance(error) && !WorkerShutdownError.isInstance(error)) this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (this.#controller.signal.aborted) return;
    this.failure ??= error;
    this.abort(error);
    this.#options.onFailure?.(error);
  }
}

/** `undefined` as soon as `signal` aborts, else what `promise` resolves to. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
