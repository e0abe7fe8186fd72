import type { Worker } from "node:worker_threads";
import type { LlamaModel, Tokenizer } from "node-llama-cpp";
import { chatWrapperInputs, type ChatWrapperChoice, type ChatWrapperInputs } from "./chat-wrapper-choice.ts";
import type { ChatWrapperThreadData, ChatWrapperThreadResult } from "./chat-wrapper-thread-messages.ts";
import { findThreadScript, startScriptThread } from "../threads/script-thread.ts";
import { answerTokenizerQuestion, tokenizerBridgeBuffer, type TokenizerQuestion } from "./tokenizer-bridge.ts";

/** A tokenizer answer comes from the main thread's event loop: even a loaded one turns within this. */
const TOKENIZER_ANSWER_TIMEOUT_MS = 30_000;

/**
 * Where the thread's script is: beside this module (tsc's dist/engine/, or src/engine/ from source), or in
 * dist/engine/ next to the worker bundle (which inlines this module; its `import.meta.url` is the bundle's).
 *
 * @example
 * ```ts
 * new Worker(chatWrapperThreadScript(), { workerData });
 * ```
 */
export function chatWrapperThreadScript(): URL {
  return findThreadScript(import.meta.url, ["./chat-wrapper-thread-main.js", "./engine/chat-wrapper-thread-main.js", "./chat-wrapper-thread-main.ts"], "chat-wrapper thread");
}

/** A failed bootstrap (from source only) declines, like any other failure of the thread. */
const BOOTSTRAP_FAILURE = `(reason) => ({ type: "declined", reason })`;

/**
 * A worker thread that runs node-llama-cpp's `resolveChatWrapper` once and answers what it chose, to rebuild
 * with `buildChatWrapper`. Started when a load of a new file begins ({@link ChatWrapperThread.start}), so
 * the thread imports node-llama-cpp (~0.4-0.8 s) while the model loads natively; `choose` hands it the loaded
 * model's inputs. The main thread meanwhile only answers the thread's tokenizer questions, one short call per
 * event-loop turn. One thread per resolution, ended once it answered or when `close` is called: resolutions
 * happen once per model file, and a thread kept alive would hold node-llama-cpp's JavaScript for nothing (the
 * worker's RSS grows ~55-60 MB while it runs). It never keeps the worker process alive (`unref`).
 *
 * @example
 * ```ts
 * const thread = ChatWrapperThread.start();
 * try {
 *   const choice = await thread.choose(chatWrapperInputs(model), model.tokenizer, { signal });
 * } finally {
 *   thread.closeIfUnused();
 * }
 * ```
 */
export class ChatWrapperThread {
  readonly #worker: Worker;
  readonly #shared: SharedArrayBuffer;
  #tokenizer: Tokenizer | undefined;
  #result: ChatWrapperThreadResult | undefined;
  #settle: ((result: ChatWrapperThreadResult) => void) | undefined;
  #chosen = false;
  #closed = false;

  private constructor() {
    this.#shared = tokenizerBridgeBuffer();
    const workerData: ChatWrapperThreadData = { shared: this.#shared, timeoutMs: TOKENIZER_ANSWER_TIMEOUT_MS };
    this.#worker = startScriptThread(chatWrapperThreadScript(), { workerData, bootstrapFailure: BOOTSTRAP_FAILURE });
    this.#worker.unref();
    this.#worker.on("message", (message: TokenizerQuestion | ChatWrapperThreadResult) => {
      if (message.type === "tokenizer") {
        // Questions come only after choose() sent the inputs, so the tokenizer is set.
        answerTokenizerQuestion(this.#tokenizer!, this.#shared, message);
      } else {
        this.#finish(message);
      }
    });
    this.#worker.once("error", (error) => this.#finish({ type: "declined", reason: `the thread failed: ${error.message}` }));
    this.#worker.once("exit", (code) => this.#finish({ type: "declined", reason: `the thread exited (code ${code}) before it answered` }));
  }

  /** Starts a thread; it imports node-llama-cpp at once and waits for {@link choose}. */
  static start(): ChatWrapperThread {
    return new ChatWrapperThread();
  }

  /**
   * What `resolveChatWrapper({ ...inputs, tokenizer })` chooses on this thread. Rejects when the thread declines
   * (a template only the native renderer parses, a tokenizer call that failed, a wrapper it cannot describe),
   * fails or exits early, or `signal` aborts; the thread is ended in every case. Once per thread.
   */
  async choose(inputs: ChatWrapperInputs, tokenizer: Tokenizer, options: { signal?: AbortSignal } = {}): Promise<ChatWrapperChoice> {
    if (this.#chosen) throw new Error("a ChatWrapperThread chooses once");
    this.#chosen = true;
    try {
      options.signal?.throwIfAborted();
      if (this.#closed) throw new Error("the chat-wrapper thread was closed");
      this.#tokenizer = tokenizer;
      let onAbort = () => {};
      const result = await new Promise<ChatWrapperThreadResult>((resolve, reject) => {
        onAbort = () => reject(options.signal?.reason);
        options.signal?.addEventListener("abort", onAbort, { once: true });
        if (this.#result !== undefined) resolve(this.#result);
        else {
          this.#settle = resolve;
          this.#worker.postMessage({ type: "inputs", inputs });
        }
      }).finally(() => options.signal?.removeEventListener("abort", onAbort));
      if (result.type === "declined") throw new Error(`the chat-wrapper thread declined: ${result.reason}`);
      return result.choice;
    } finally {
      this.close();
    }
  }

  /**
   * Ends the thread unless {@link choose} was called: from then on the resolution owns it (it may be shared by
   * other loads of the same file, and ends the thread itself when it settles or is aborted).
   */
  closeIfUnused(): void {
    if (!this.#chosen) this.close();
  }

  /** Ends the thread (idempotent); a pending {@link choose} rejects. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#finish({ type: "declined", reason: "the thread was closed" });
    void this.#worker.terminate();
  }

  #finish(result: ChatWrapperThreadResult): void {
    this.#result ??= result;
    const settle = this.#settle;
    this.#settle = undefined;
    settle?.(this.#result);
  }
}

/**
 * What node-llama-cpp's `resolveChatWrapper(model)` chooses for `model`, resolved in a worker thread
 * (a fresh one unless `thread` is given: one {@link ChatWrapperThread.start}ed while the model loaded).
 *
 * @example
 * ```ts
 * const choice = await chooseChatWrapperInThread(model, { signal });
 * ```
 */
export function chooseChatWrapperInThread(model: LlamaModel, options: { signal?: AbortSignal; thread?: ChatWrapperThread } = {}): Promise<ChatWrapperChoice> {
  return chooseChatWrapperForInputs(chatWrapperInputs(model), model.tokenizer, options);
}

/**
 * {@link chooseChatWrapperInThread} for explicit inputs: what `resolveChatWrapper({ ...inputs, tokenizer })`
 * would choose on this thread.
 *
 * @example
 * ```ts
 * const choice = await chooseChatWrapperForInputs(chatWrapperInputs(model), model.tokenizer);
 * ```
 */
export async function chooseChatWrapperForInputs(
  inputs: ChatWrapperInputs,
  tokenizer: Tokenizer,
  options: { signal?: AbortSignal; thread?: ChatWrapperThread } = {},
): Promise<ChatWrapperChoice> {
  // async: a thread that cannot even start (no script, no threads) rejects like one that failed later.
  return (options.thread ?? ChatWrapperThread.start()).choose(inputs, tokenizer, options);
}
