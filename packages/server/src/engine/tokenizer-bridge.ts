import type { MessagePort } from "node:worker_threads";
import type { Token, Tokenizer } from "node-llama-cpp";

/**
 * A model's tokenizer, used synchronously from a worker thread while the model stays on the main thread.
 * node-llama-cpp's resolution calls the tokenizer synchronously deep inside its loops, so the thread posts each
 * question and blocks (`Atomics.wait`) until the main thread, from its event loop, writes the answer into a
 * shared buffer and wakes it. The main thread's part is one tokenizer call per question (microseconds on the
 * short test strings), never a wait; the thread remembers answers (3,100 calls, 67 distinct ones for the test
 * models' template).
 */

/** Bytes for one answer (JSON); longer answers fail the bridge (then the caller resolves on the main thread). */
const ANSWER_CAPACITY = 1 << 20;
const HEADER_BYTES = 8;
const STATE = 0;
const LENGTH = 1;
const AnswerState = { Waiting: 0, Answered: 1, Overflow: 2 } as const;

export type TokenizerMethod = "tokenize" | "detokenize" | "isSpecialToken" | "isEogToken";

/** A question the thread posts to the main thread. */
export interface TokenizerQuestion {
  type: "tokenizer";
  method: TokenizerMethod;
  args: unknown[];
}

type Answer = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * The buffer a bridge's answers travel through (one per thread; one question at a time).
 *
 * @example
 * ```ts
 * const shared = tokenizerBridgeBuffer();
 * ```
 */
export function tokenizerBridgeBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + ANSWER_CAPACITY);
}

/**
 * Main thread: answers one question with the real tokenizer and wakes the thread.
 *
 * @example
 * ```ts
 * thread.on("message", (message) => { if (message.type === "tokenizer") answerTokenizerQuestion(model.tokenizer, shared, message); });
 * ```
 */
export function answerTokenizerQuestion(tokenizer: Tokenizer, shared: SharedArrayBuffer, question: TokenizerQuestion): void {
  let answer: Answer;
  try {
    answer = { ok: true, value: ask(tokenizer, question) };
  } catch (error) {
    answer = { ok: false, message: String(error instanceof Error ? error.message : error) };
  }
  const control = new Int32Array(shared, 0, 2);
  const encoded = new TextEncoder().encode(JSON.stringify(answer));
  if (encoded.byteLength > ANSWER_CAPACITY) {
    Atomics.store(control, STATE, AnswerState.Overflow);
  } else {
    new Uint8Array(shared, HEADER_BYTES, encoded.byteLength).set(encoded);
    Atomics.store(control, LENGTH, encoded.byteLength);
    Atomics.store(control, STATE, AnswerState.Answered);
  }
  Atomics.notify(control, STATE);
}

function ask(tokenizer: Tokenizer, question: TokenizerQuestion): unknown {
  const args = question.args as [never, never, never];
  switch (question.method) {
    case "tokenize":
      return tokenizer(...args);
    case "detokenize":
      return tokenizer.detokenize(...args);
    case "isSpecialToken":
      return tokenizer.isSpecialToken(args[0]);
    case "isEogToken":
      return tokenizer.isEogToken(args[0]);
  }
}

/** The thread's side of a bridge. */
export interface BridgedTokenizer {
  tokenizer: Tokenizer;
  /**
   * Why an answer was not the real tokenizer's, if one was not (the main thread's tokenizer threw, an answer
   * overflowed, the main thread did not answer in time). node-llama-cpp's resolution swallows errors inside its
   * equivalence checks, so a failed question could silently change its choice: the caller must discard it.
   */
  failure(): string | undefined;
}

/**
 * Thread: a `Tokenizer` whose every call is answered by the main thread's real one.
 *
 * @example
 * ```ts
 * const { tokenizer, failure } = bridgedTokenizer({ port: parentPort, shared, timeoutMs: 30_000 });
 * ```
 */
export function bridgedTokenizer(options: { port: MessagePort; shared: SharedArrayBuffer; timeoutMs: number }): BridgedTokenizer {
  const control = new Int32Array(options.shared, 0, 2);
  const remembered = new Map<string, unknown>();
  let failure: string | undefined;
  const call = (method: TokenizerMethod, args: unknown[]): unknown => {
    const key = JSON.stringify([method, args]);
    if (remembered.has(key)) return copy(remembered.get(key));
    Atomics.store(control, STATE, AnswerState.Waiting);
    options.port.postMessage({ type: "tokenizer", method, args } satisfies TokenizerQuestion);
    const waited = Atomics.wait(control, STATE, AnswerState.Waiting, options.timeoutMs);
    const state = Atomics.load(control, STATE);
    let answer: Answer;
    if (waited === "timed-out" && state === AnswerState.Waiting) answer = { ok: false, message: `no answer within ${options.timeoutMs} ms` };
    else if (state === AnswerState.Overflow) answer = { ok: false, message: `an answer to ${method} exceeded ${ANSWER_CAPACITY} bytes` };
    else {
      const length = Atomics.load(control, LENGTH);
      // TextDecoder refuses views of shared memory: copy the bytes out first.
      answer = JSON.parse(new TextDecoder().decode(new Uint8Array(options.shared, HEADER_BYTES, length).slice())) as Answer;
    }
    if (!answer.ok) {
      failure ??= `tokenizer.${method} failed on the main thread: ${answer.message}`;
      throw new Error(failure);
    }
    remembered.set(key, answer.value);
    return copy(answer.value);
  };
  const tokenize = ((text: string, specialTokens?: boolean | "builtin", trim?: "trimLeadingSpace") =>
    call("tokenize", trim === undefined ? [text, specialTokens] : [text, specialTokens, trim])) as Tokenizer;
  const tokenizer = Object.assign(tokenize, {
    detokenize: (tokens: readonly Token[], specialTokens?: boolean, lastTokens?: readonly Token[]) =>
      call("detokenize", lastTokens === undefined ? [tokens, specialTokens] : [tokens, specialTokens, lastTokens]) as string,
    isSpecialToken: (token: Token) => call("isSpecialToken", [token]) as boolean,
    isEogToken: (token: Token) => call("isEogToken", [token]) as boolean,
  });
  return { tokenizer, failure: () => failure };
}

/** Callers may keep or change the token arrays they get: each gets its own. */
function copy(value: unknown): unknown {
  return Array.isArray(value) ? [...(value as unknown[])] : value;
}
