import { ContextOverflowError, type CompletionStats } from "@rein/protocol";
import type { ChatHistoryItem, ChatModelFunctions, ChatWrapper, LlamaChatResponseChunk, LlamaContextSequence, LlamaGrammar } from "node-llama-cpp";
import { GenerationMeter } from "./generation-meter.ts";
import { loadedEngine } from "./llama-runtime.ts";
import { continuesModelTurn } from "./chat-history.ts";
import { chatPromptTokens } from "./chat-prompt.ts";
import { evaluatePromptInChunks } from "./chunked-prefill.ts";
import { DEFAULT_MAX_TOKENS, type EngineStopReason, type GenerationParameters } from "./generate-completion.ts";
import type { LoadedModel } from "./loaded-model.ts";

export interface ChatTurnCall {
  name: string;
  params: unknown;
}

export interface ChatTurnResult {
  stopReason: EngineStopReason | "toolCalls";
  /** The main response, exactly as passed to `onText`. */
  text: string;
  /** Thought segments, exactly as passed to `onThought`. */
  thinkingText: string;
  calls: ChatTurnCall[];
  /** Epoch ms (`performance.timeOrigin` based, comparable across processes) when the last call was parsed. */
  lastCallAt: number | null;
  stats: CompletionStats;
}

/**
 * One model turn on LlamaChat, for what plain completion cannot do: function
 * calls (the chat wrapper's own syntax, grammar-constrained names and
 * parameters), a JSON-schema grammar, and thought segments. The prompt is
 * first evaluated in chunks, as for plain completion (LlamaChat checks its
 * signal only per generated token), and LlamaChat reuses that prefix; the KV
 * state of earlier turns on the same sequence is kept, so a tool loop's
 * second turn evaluates only what the first one added.
 */
export async function generateChatTurn(options: {
  model: LoadedModel;
  sequence: LlamaContextSequence;
  chatWrapper: ChatWrapper;
  history: readonly ChatHistoryItem[];
  functions?: ChatModelFunctions;
  grammar?: LlamaGrammar;
  parameters: GenerationParameters;
  signal: AbortSignal;
  onText: (text: string) => void;
  onThought: (text: string) => void;
}): Promise<ChatTurnResult> {
  const { model, sequence, signal, parameters } = options;
  const startedAt = performance.now();
  const { tokens } = chatPromptTokens(model.model, options.chatWrapper, options.history, options.functions, { forLlamaChat: true });
  if (tokens.length >= model.config.ctxSize) {
    throw new ContextOverflowError({ promptTokens: tokens.length, contextSize: model.config.ctxSize, modelId: model.modelId });
  }
  let text = "";
  let thinkingText = "";
  let lastCallAt: number | null = null;
  const meter = new GenerationMeter(tokens.length, startedAt);
  const stats = (evaluatedPromptTokens: number) => meter.stats(evaluatedPromptTokens);
  const result = (stopReason: ChatTurnResult["stopReason"], evaluated: number, calls: ChatTurnCall[] = []): ChatTurnResult => ({
    stopReason: signal.aborted ? "aborted" : stopReason,
    text,
    thinkingText,
    calls: signal.aborted ? [] : calls,
    lastCallAt,
    stats: stats(evaluated),
  });

  const prefill = await evaluatePromptInChunks({ sequence, tokens, chunkSize: model.config.prefillChunkSize, signal });
  if (signal.aborted) return result("aborted", prefill.evaluated);
  const evaluated = tokens.length - prefill.reused;

  const { LlamaChat } = loadedEngine();
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: options.chatWrapper, autoDisposeSequence: false });
  const history = [...options.history];
  // Same rule as the prefill above, so both render the same tokens.
  if (!continuesModelTurn(history)) history.push({ type: "model", response: [] });
  const onResponseChunk = (chunk: LlamaChatResponseChunk) => {
    // One or two callbacks can still fire after abort(); they were never streamed, so drop them.
    if (signal.aborted || chunk.text.length === 0) return;
    if (chunk.type === "segment") {
      if (chunk.segmentType !== "thought") return;
      thinkingText += chunk.text;
      options.onThought(chunk.text);
      return;
    }
    text += chunk.text;
    options.onText(chunk.text);
  };
  const common = {
    signal,
    stopOnAbortSignal: true,
    maxTokens: parameters.maxTokens ?? DEFAULT_MAX_TOKENS,
    temperature: parameters.temperature ?? 0,
    topP: parameters.topP,
    topK: parameters.topK,
    seed: parameters.seed,
    customStopTriggers: parameters.stopSequences,
    onToken: (generated: readonly unknown[]) => {
      if (signal.aborted) return;
      meter.count(generated.length);
    },
    onResponseChunk,
  };
  try {
    const response = options.functions
      ? await chat.generateResponse(history, {
          ...common,
          functions: options.functions,
          documentFunctionParams: true,
          onFunctionCall: () => (lastCallAt = performance.timeOrigin + performance.now()),
        })
      : await chat.generateResponse(history, { ...common, grammar: options.grammar });
    const calls = (response.functionCalls ?? []).map((call) => ({ name: call.functionName, params: call.params }));
    switch (response.metadata.stopReason) {
      case "functionCalls":
        return result(calls.length > 0 ? "toolCalls" : "eos", evaluated, calls);
      case "abort":
        return result("aborted", evaluated);
      case "maxTokens":
        return result("length", evaluated);
      case "customStopTrigger":
        return result("stopSequence", evaluated);
      default:
        return result("eos", evaluated);
    }
  } catch (error) {
    // LlamaChat throws signal.reason when aborted before anything but a call was generated.
    if (signal.aborted) return result("aborted", evaluated);
    throw error;
  } finally {
    chat.dispose({ disposeSequence: false });
  }
}
