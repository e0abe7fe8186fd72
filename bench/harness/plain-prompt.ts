import type { ChatMessage } from "@rein/protocol";
import { resolveChatWrapper, type ChatWrapper, type LlamaModel, type Token } from "node-llama-cpp";
import { chatPromptTokens } from "../../packages/server/src/engine/chat-prompt.ts";

const wrappers = new WeakMap<LlamaModel, ChatWrapper>();

/**
 * The model's chat wrapper, resolved once per model as Rein's worker does at
 * load (resolving parses the GGUF's Jinja template: ~140 ms on the test models).
 *
 * @example
 * ```ts
 * const wrapper = plainChatWrapper(model);
 * ```
 */
export function plainChatWrapper(model: LlamaModel): ChatWrapper {
  let wrapper = wrappers.get(model);
  if (wrapper === undefined) {
    wrapper = resolveChatWrapper(model);
    wrappers.set(model, wrapper);
  }
  return wrapper;
}

/**
 * The prompt tokens the plain baseline evaluates: Rein's own
 * `chatPromptTokens` with the model's chat wrapper, so both paths evaluate
 * identical tokens by construction.
 *
 * @example
 * ```ts
 * const { tokens, beginningToken } = plainPromptTokens(model, [{ role: "user", content: "Hi" }]);
 * ```
 */
export function plainPromptTokens(model: LlamaModel, history: readonly ChatMessage[]): { tokens: Token[]; beginningToken: Token | null } {
  return chatPromptTokens(model, plainChatWrapper(model), history);
}
