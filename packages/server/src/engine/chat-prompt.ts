import type { ChatMessage } from "@rein/protocol";
import type { ChatHistoryItem, ChatModelFunctions, ChatWrapper, LlamaModel, Token } from "node-llama-cpp";
import { continuesModelTurn, toChatHistory } from "./chat-history.ts";

/**
 * Turns chat history into the exact tokens generation will evaluate, using
 * the model's own chat template (ChatML for the test model). Rein evaluates
 * these tokens itself, in chunks, so it must produce what LlamaCompletion
 * would: the beginning-of-sequence token first when the model wants one.
 * With `functions`, the template's function documentation is part of it, as
 * LlamaChat renders it, so LlamaChat then reuses the evaluated prefix.
 */
export function chatPromptTokens(
  model: LlamaModel,
  chatWrapper: ChatWrapper,
  history: readonly ChatMessage[] | readonly ChatHistoryItem[],
  functions?: ChatModelFunctions,
  options: { forLlamaChat?: boolean } = {},
): { tokens: Token[]; beginningToken: Token | null } {
  const chatHistory = isChatHistory(history) ? [...history] : toChatHistory(history);
  // An open assistant turn at the end makes the template end with the assistant header.
  if (!continuesModelTurn(chatHistory)) chatHistory.push({ type: "model", response: [] });
  const { contextText } = chatWrapper.generateContextState({ chatHistory, availableFunctions: functions, documentFunctionParams: functions ? true : undefined });
  const body = contextText.tokenize(model.tokenizer, "trimLeadingSpace");
  const beginningToken = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  // LlamaChat evaluates the template's own BOS and adds none: with functions (the LlamaChat path) match it exactly.
  if (options.forLlamaChat) return { tokens: body[0] === beginningToken || beginningToken == null ? body : [beginningToken, ...body], beginningToken };
  return { tokens: beginningToken == null ? body : [beginningToken, ...body], beginningToken };
}

function isChatHistory(history: readonly ChatMessage[] | readonly ChatHistoryItem[]): history is readonly ChatHistoryItem[] {
  return history.length > 0 && "type" in history[0]!;
}
