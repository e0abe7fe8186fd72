import type { ChatMessage } from "@rein/protocol";
import type { LlamaModel } from "node-llama-cpp";
import { plainPromptTokens } from "./plain-prompt.ts";

/**
 * Prompts for the bench. Every measured run gets its own prompt, different
 * from its first token on, so neither Rein (which keeps a sequence's prefix
 * between requests) nor node-llama-cpp can reuse a previous run's KV cache;
 * both paths of one round get the same prompt.
 */

/**
 * A short chat turn unique to `round`.
 *
 * @example
 * ```ts
 * shortHistory(3); // [{ role: "user", content: "Request 3: tell me a long story ..." }]
 * ```
 */
export function shortHistory(round: number): ChatMessage[] {
  return [{ role: "user", content: `Request ${round}: tell me a long story about cancelling requests on time.` }];
}

const WORDS = [
  "request", "cancel", "token", "worker", "model", "stream", "signal", "prompt", "sequence", "context",
  "latency", "budget", "queue", "registry", "deadline", "chunk", "prefill", "decode", "socket", "frame",
];

/**
 * A deterministic filler text of `characters` length (words from a fixed
 * list, picked by a linear congruential generator so it is not one repeated phrase).
 *
 * @example
 * ```ts
 * fillerText(12); // "chunk cancel"-like words, exactly 12 characters
 * ```
 */
export function fillerText(characters: number): string {
  let state = 12345;
  let text = "";
  while (text.length < characters) {
    state = (state * 1103515245 + 12345) % 2147483648;
    text += `${WORDS[state % WORDS.length]} `;
  }
  return text.slice(0, characters);
}

/**
 * The filler length whose chat prompt is about `targetTokens` tokens on
 * `model` (binary search on the model's own tokenizer and chat template).
 *
 * @example
 * ```ts
 * const characters = fillerLengthForTokens(model, 2000);
 * const history = longHistory(round, characters);
 * ```
 */
export function fillerLengthForTokens(model: LlamaModel, targetTokens: number): number {
  let low = 1;
  let high = targetTokens * 8;
  while (low < high) {
    const middle = Math.floor((low + high + 1) / 2);
    if (plainPromptTokens(model, longHistory(0, middle)).tokens.length <= targetTokens) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * A long document prompt, unique to `round` from its first words.
 *
 * @example
 * ```ts
 * const history = longHistory(round, fillerLengthForTokens(model, 2000));
 * ```
 */
export function longHistory(round: number, fillerCharacters: number): ChatMessage[] {
  return [{ role: "user", content: `Document ${round}. Summarise it: ${fillerText(fillerCharacters)}` }];
}
