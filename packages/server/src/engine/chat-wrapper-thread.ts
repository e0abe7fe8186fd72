import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { Worker } from "node:worker_threads";
import type { LlamaModel, Tokenizer } from "node-llama-cpp";
import { chatWrapperInputs, type ChatWrapperChoice, type ChatWrapperInputs } from "./chat-wrapper-choice.ts";
import type { ChatWrapperThreadData, ChatWrapperThreadResult } from "./chat-wrapper-thread-messages.ts";
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
  const candidates = ["./chat-wrapper-thread-main.js", "./engine/chat-wrapper-thread-main.js", "./chat-wrapper-thread-main.ts"];
  for (const candidate of candidates) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return url;
  }
  throw new Error(`chat-wrapper thread script not found beside ${import.meta.url} (looked for ${candidates.join(", ")})`);
}

/**
 * Starts the thread (as the RAG store thread does: from source the script is TypeScript, and Node 20 does not
 * hand the parent's tsx hooks to threads, so the thread registers tsx first).
 */
function startThread(script: URL, data: ChatWrapperThreadData): Worker {
  // Loaded by the first load of a model file, never at worker start (node:worker_threads costs ~5-30 ms to load).
  const { Worker } = process.getBuiltinModule("node:worker_threads");
  if (!script.pathname.endsWith(".ts")) return new Worker(script, { workerData: data });
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const bootstrap = `(async () => {
    const api = await import(${JSON.stringify(tsxApi)});
    (api.register ?? api.default.register)();
    await import(${JSON.stringify(script.href)});
  })().catch((error) => { require("node:worker_threads").parentPort.postMessage({ type: "declined", reason: String(error && error.stack || error) }); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/**
 * Runs node-llama-cpp's `resolveChatWrapper` for `model` in a worker thread and returns what it chose, to
 * rebuild with `buildChatWrapper`. The main thread meanwhile only answers the thread's tokenizer questions,
 * one short call per event-loop turn. Rejects when the thread declines (a template only the native renderer
 * parses, a tokenizer call that failed, a wrapper it cannot describe), fails or exits early, or `signal` aborts
 * (the thread is then terminated). One thread per resolution, ended as soon as it answered: resolutions happen
 * once per model file, and a thread kept alive would hold node-llama-cpp's JavaScript (the worker's RSS grows ~55-60 MB while the thread runs) for nothing.
 * The thread never keeps the worker process alive (`unref`).
 *
 * @example
 * ```ts
 * const choice = await chooseChatWrapperInThread(model, { signal });
 * ```
 */
export function chooseChatWrapperInThread(model: LlamaModel, options: { signal?: AbortSignal } = {}): Promise<ChatWrapperChoice> {
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
export async function chooseChatWrapperForInputs(inputs: ChatWrapperInputs, tokenizer: Tokenizer, options: { signal?: AbortSignal } = {}): Promise<ChatWrapperChoice> {
  options.signal?.throwIfAborted();
  const shared = tokenizerBridgeBuffer();
  const worker = startThread(chatWrapperThreadScript(), { inputs, shared, timeoutMs: TOKENIZER_ANSWER_TIMEOUT_MS });
  worker.unref();
  let onAbort = () => {};
  const promise = new Promise<ChatWrapperChoice>((resolve, reject) => {
    onAbort = () => reject(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: TokenizerQuestion | ChatWrapperThreadResult) => {
      if (message.type === "tokenizer") answerTokenizerQuestion(tokenizer, shared, message);
      else if (message.type === "chosen") resolve(message.choice);
      else reject(new Error(`the chat-wrapper thread declined: ${message.reason}`));
    });
    worker.once("error", (error) => reject(new Error(`the chat-wrapper thread failed: ${error.message}`, { cause: error })));
    worker.once("exit", (code) => reject(new Error(`the chat-wrapper thread exited (code ${code}) before it answered`)));
  });
  try {
    return await promise;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    void worker.terminate();
  }
}
