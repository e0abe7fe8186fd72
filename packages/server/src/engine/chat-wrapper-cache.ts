import type { ChatWrapper, LlamaModel } from "node-llama-cpp";
import { buildChatWrapper, type ChatWrapperChoice } from "./chat-wrapper-choice.ts";
import type { ChatWrapperChoiceStore } from "./chat-wrapper-choice-store.ts";
import { chooseChatWrapperInThread, type ChatWrapperThread } from "./chat-wrapper-thread.ts";
import { loadedEngine } from "./llama-runtime.ts";

/** Model files whose chat wrapper is remembered; a worker rarely has more distinct files than this. */
const REMEMBERED_FILES = 16;

/** The file a model was loaded from, as far as its chat template is concerned: same path, size and mtime, same bytes. */
export interface ModelFileIdentity {
  path: string;
  size: number;
  modifiedMs: number;
}

/** How the cache finds a model's wrapper the first time: in a thread (the default), or as a test wants. */
export type ChooseChatWrapper = (model: LlamaModel, options: { signal?: AbortSignal; thread?: ChatWrapperThread }) => Promise<ChatWrapperChoice>;

/**
 * The chat wrapper of each model file resolved in this worker, resolved off the event loop and only once per
 * file. node-llama-cpp's `resolveChatWrapper` is synchronous and renders the GGUF's Jinja template against
 * every built-in wrapper to find an equivalent one: 240-580 ms of CPU on a loaded 2-core machine even for the
 * 199-character ChatML template of the test models, during which the event loop would answer nothing (no
 * cancel, no other stream's tokens). So the first load of a file runs it in a worker thread
 * (chooseChatWrapperInThread) and rebuilds the wrapper it chose here; a later load of the same file (a reload
 * after unload, a second config, another connection's load) reuses the choice, and two loads at once share one.
 *
 * Specialized wrappers (ChatML, Llama 3, ...) are shared: they hold nothing of the model they were made for.
 * A Jinja wrapper keeps its model's tokenizer: it is built again for each model from the remembered choice.
 *
 * If the thread cannot choose (a template only the native renderer parses, the thread fails), the wrapper is
 * resolved here synchronously, as before the thread existed: correct, only slow. That is logged once per worker.
 *
 * @example
 * ```ts
 * const wrapper = await chatWrappers.wrapperFor(model, { path, size, modifiedMs }, { signal });
 * ```
 */
export class ChatWrapperCache {
  readonly #wrappers = new Map<string, ChatWrapper>();
  readonly #choices = new Map<string, PendingChoice>();
  readonly #choose: ChooseChatWrapper;
  #resolutions = 0;
  #warned = false;

  constructor(options: { choose?: ChooseChatWrapper } = {}) {
    this.#choose = options.choose ?? chooseChatWrapperInThread;
  }

  /** How many times a file's wrapper was really resolved (not taken from the cache). */
  get resolutions(): number {
    return this.#resolutions;
  }

  /** Files whose choice is remembered (or being made). */
  get size(): number {
    return this.#choices.size;
  }

  /** Whether a load of `file` would find its choice (remembered here or on disk, or being made by another load). */
  knows(file: ModelFileIdentity, persisted?: ChatWrapperChoiceStore): boolean {
    return this.#choices.has(fileKey(file)) || persisted?.recall(file) !== undefined;
  }

  /**
   * The wrapper for `model`, resolved off the event loop unless this file's choice is known. `signal` stops
   * this caller's wait at once; the resolution itself stops (its thread is terminated) when every load waiting
   * on it aborted. An aborted or failed resolution is never remembered.
   */
  async wrapperFor(model: LlamaModel, file: ModelFileIdentity | undefined, options: WrapperForOptions = {}): Promise<ChatWrapper> {
    options.signal?.throwIfAborted();
    const key = file === undefined ? undefined : fileKey(file);
    const known = key === undefined ? undefined : this.#wrappers.get(key);
    if (known !== undefined) return known;
    let pending = key === undefined ? undefined : this.#choices.get(key);
    // A choice an earlier worker made for this file (see ChatWrapperChoiceStore): no thread, no resolution.
    const recalled = pending === undefined && file !== undefined ? options.persisted?.recall(file) : undefined;
    if (pending === undefined && recalled !== undefined) {
      pending = { promise: Promise.resolve(recalled), controller: new AbortController(), waiters: 0, recalled: true };
      this.#remember(key!, pending);
    } else if (pending === undefined) {
      this.#resolutions += 1;
      options.onResolving?.();
      pending = this.#start(model, options.thread);
      if (key !== undefined) this.#remember(key, pending);
      if (file !== undefined && options.persisted !== undefined) {
        const store = options.persisted;
        pending.saved = pending.promise.then((choice) => (choice === undefined ? undefined : store.remember(file, choice)), () => undefined);
      }
    }
    const chosen = await waitFor(pending, options.signal);
    // On disk before the load answers, so a worker closed right after it leaves the choice to the next one.
    await pending.saved;
    // Another load of the file that shared this resolution may have built the shared wrapper already.
    const built = key === undefined ? undefined : this.#wrappers.get(key);
    if (built !== undefined) return built;
    let wrapper: ChatWrapper;
    if (chosen === undefined) {
      // Synchronous, on this thread: only when the thread could not choose (see the class comment).
      wrapper = loadedEngine().resolveChatWrapper(model);
    } else {
      try {
        wrapper = buildChatWrapper(loadedEngine(), model.tokenizer, model.fileInfo.metadata?.tokenizer?.chat_template, chosen);
      } catch (error) {
        // Only a choice read from disk can fail to build (a file edited by hand, or from a changed node-llama-cpp):
        // forget it and resolve as if it had never been made.
        if (!pending.recalled || file === undefined) throw error;
        options.persisted?.forget(file);
        if (key !== undefined && this.#choices.get(key) === pending) this.#choices.delete(key);
        return this.wrapperFor(model, file, options);
      }
    }
    if (key !== undefined && this.#choices.get(key) === pending && isShareable(wrapper)) this.#wrappers.set(key, wrapper);
    return wrapper;
  }

  #start(model: LlamaModel, thread: ChatWrapperThread | undefined): PendingChoice {
    const controller = new AbortController();
    const promise = this.#choose(model, { signal: controller.signal, thread }).catch((error: unknown) => {
      if (controller.signal.aborted) throw error;
      if (!this.#warned) {
        this.#warned = true;
        process.stderr.write(`rein worker: resolving a chat template on the main thread (it blocks the event loop meanwhile): ${error instanceof Error ? error.message : String(error)}\n`);
      }
      return undefined;
    });
    // A rejection is seen by the waiters; this keeps it from counting as unhandled when none is left.
    promise.catch(() => undefined);
    return { promise, controller, waiters: 0, recalled: false };
  }

  #remember(key: string, pending: PendingChoice): void {
    this.#choices.set(key, pending);
    pending.promise.catch(() => {
      if (this.#choices.get(key) === pending) this.#choices.delete(key);
    });
    if (this.#choices.size > REMEMBERED_FILES) {
      const oldest = this.#choices.keys().next().value!;
      this.#choices.delete(oldest);
      this.#wrappers.delete(oldest);
    }
  }
}

export interface WrapperForOptions {
  signal?: AbortSignal;
  /** Called when this call starts a resolution (the file's choice is not known yet, nor being made). */
  onResolving?: () => void;
  /** A thread started while the model loaded, used if this call resolves (else the caller ends it: closeIfUnused). */
  thread?: ChatWrapperThread;
  /** Where choices outlive this worker: recalled instead of resolving, and a new choice kept there. */
  persisted?: ChatWrapperChoiceStore;
}

interface PendingChoice {
  /** The thread's choice; `undefined`: resolve on the main thread. Rejects only when aborted. */
  promise: Promise<ChatWrapperChoice | undefined>;
  controller: AbortController;
  waiters: number;
  /** Read from disk rather than made in this worker. */
  recalled: boolean;
  /** Settles once a choice made here is on disk (a failed write included). */
  saved?: Promise<void>;
}

/** Waits for a shared resolution; the last waiter to abort aborts the resolution too. */
async function waitFor(pending: PendingChoice, signal: AbortSignal | undefined): Promise<ChatWrapperChoice | undefined> {
  if (signal === undefined) {
    pending.waiters += 1;
    try {
      return await pending.promise;
    } finally {
      pending.waiters -= 1;
    }
  }
  pending.waiters += 1;
  let onAbort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      pending.waiters -= 1;
      if (pending.waiters === 0) pending.controller.abort(signal.reason);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const chosen = await Promise.race([pending.promise, aborted]);
    pending.waiters -= 1;
    return chosen;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function fileKey(file: ModelFileIdentity): string {
  return `${file.path}\u0000${file.size}\u0000${file.modifiedMs}`;
}

function isShareable(wrapper: ChatWrapper): boolean {
  const { JinjaTemplateChatWrapper, TemplateChatWrapper } = loadedEngine();
  return !(wrapper instanceof JinjaTemplateChatWrapper) && !(wrapper instanceof TemplateChatWrapper);
}

/** The worker's one cache (model files are the worker's, whichever connection loads them). */
export const chatWrappers = new ChatWrapperCache();
