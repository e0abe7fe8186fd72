import type { ChatWrapper, LlamaModel } from "node-llama-cpp";
import { loadedEngine } from "./llama-runtime.ts";

/** Model files whose chat wrapper is remembered; a worker rarely has more distinct files than this. */
const REMEMBERED_FILES = 16;

/** The file a model was loaded from, as far as its chat template is concerned: same path, size and mtime, same bytes. */
export interface ModelFileIdentity {
  path: string;
  size: number;
  modifiedMs: number;
}

/**
 * The chat wrapper of each model file resolved in this worker, so only the
 * first load of a file pays for `resolveChatWrapper`. Resolving is
 * synchronous and renders the GGUF's Jinja template against every built-in
 * wrapper to find an equivalent one: 50-150 ms on an idle core even for the
 * 199-character ChatML template of the test models, ~1 s on a loaded 2-core
 * machine, during which the worker's event loop answers nothing (no cancel,
 * no other stream's tokens). A later load of the same file (a reload after
 * unload, a second config, a second worker connection) reuses the result.
 *
 * Only specialized wrappers (ChatML, Llama 3, ...) are shared: they hold
 * nothing of the model they were resolved for. A Jinja or template wrapper
 * keeps that model's tokenizer, so it is resolved again for each model.
 *
 * @example
 * ```ts
 * const wrapper = chatWrapperFor(model, { path, size, modifiedMs });
 * ```
 */
export class ChatWrapperCache {
  readonly #wrappers = new Map<string, ChatWrapper>();
  readonly #resolve: (model: LlamaModel) => ChatWrapper;
  #resolutions = 0;

  constructor(options: { resolve?: (model: LlamaModel) => ChatWrapper } = {}) {
    this.#resolve = options.resolve ?? ((model) => loadedEngine().resolveChatWrapper(model));
  }

  /** How many times the wrapper was really resolved (not taken from the cache). */
  get resolutions(): number {
    return this.#resolutions;
  }

  get size(): number {
    return this.#wrappers.size;
  }

  /** The wrapper for `model`, resolved now unless this file's specialized wrapper is known. */
  wrapperFor(model: LlamaModel, file: ModelFileIdentity | undefined): ChatWrapper {
    const key = file === undefined ? undefined : `${file.path}\u0000${file.size}\u0000${file.modifiedMs}`;
    const known = key === undefined ? undefined : this.#wrappers.get(key);
    if (known !== undefined) return known;
    this.#resolutions += 1;
    const wrapper = this.#resolve(model);
    if (key !== undefined && isShareable(wrapper)) {
      this.#wrappers.set(key, wrapper);
      if (this.#wrappers.size > REMEMBERED_FILES) this.#wrappers.delete(this.#wrappers.keys().next().value!);
    }
    return wrapper;
  }
}

function isShareable(wrapper: ChatWrapper): boolean {
  const { JinjaTemplateChatWrapper, TemplateChatWrapper } = loadedEngine();
  return !(wrapper instanceof JinjaTemplateChatWrapper) && !(wrapper instanceof TemplateChatWrapper);
}

/** The worker's one cache (model files are the worker's, whichever connection loads them). */
export const chatWrappers = new ChatWrapperCache();
