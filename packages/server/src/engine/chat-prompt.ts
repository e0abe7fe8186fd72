import type { ChatMessage } from "@rein/protocol";
import type { ChatHistoryItem, ChatWrapper, LlamaModel, Token } from "node-llama-cpp";

/**
 * Turns chat history into the exact tokens generation will evaluate, using
 * the model's own chat template (ChatML for the test model). Rein evaluates
 * these tokens itself, in chunks, so it must produce what LlamaCompletion
 * would: the beginning-of-sequence token first when the model wants one.
 */
export function chatPromptTokens(
  model: LlamaModel,
  chatWrapper: ChatWrapper,
  history: readonly ChatMessage[],
): { tokens: Token[]; beginningToken: Token | null } {
  const chatHistory: ChatHistoryItem[] = history.map((message) => {
    switch (message.role) {
      case "system":
        return { type: "system", text: message.content };
      case "user":
        return { type: "user", text: message.content };
      case "assistant":
        return { type: "model", response: [message.content] };
    }
  });
  // An open assistant turn at the end makes the template end with the assistant header.
  chatHistory.push({ type: "model", response: [] });
  const { contextText } = chatWrapper.generateContextState({ chatHistory });
  const body = contextText.tokenize(model.tokenizer, "trimLeadingSpace");
  const beginningToken = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  return { tokens: beginningToken == null ? body : [beginningToken, ...body], beginningToken };
}
