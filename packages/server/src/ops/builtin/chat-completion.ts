import { InvalidInputError, type CompletionInput, type CompletionStats, type ToolCallData } from "@rein/protocol";
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatModelResponse, LlamaContextSequence, LlamaJsonSchemaGrammar } from "node-llama-cpp";
import { continuesModelTurn, parseToolContent, toChatHistory } from "../../engine/chat-history.ts";
import { generateChatTurn, type ChatTurnResult } from "../../engine/chat-turn.ts";
import { forcedCallWrapper } from "../../engine/forced-call-wrapper.ts";
import type { LoadedModel } from "../../engine/loaded-model.ts";
import type { OpContext } from "../define-op.ts";
import { TextCoalescer } from "./text-coalescer.ts";
import { toolResultsMailbox } from "./tool-results-mailbox.ts";
import { randomUuid } from "../../startup/lazy-crypto.ts";

/** One model turn of a run, as the client sees it in `final.steps`. */
export interface CompletionStep {
  text: string;
  toolCalls: ToolCallData[];
  stats: CompletionStats;
}

export interface ChatCompletionOutcome {
  stopReason: ChatTurnResult["stopReason"] | "maxSteps";
  text: string;
  thinkingText: string;
  toolCalls: ToolCallData[];
  steps: CompletionStep[];
  stats: CompletionStats;
  /** The parsed, schema-checked JSON of a `responseFormat: json_schema` run that ended on its own. */
  object?: unknown;
}

/** Whether a request needs LlamaChat (calls, a JSON grammar, thought segments) rather than the plain prompt path. */
export function needsChatTurns(input: CompletionInput, model: LoadedModel): boolean {
  return (input.tools?.length ?? 0) > 0 || input.responseFormat?.type === "json_schema" || model.chatWrapper.settings.segments?.thought != null;
}

/**
 * The worker's side of a completion with tools, a response format or
 * thoughts: model turns on one lent sequence (its KV cache kept between
 * turns), and between turns, when the client executes tools
 * (`awaitToolResults`), a wait for their results. The loop's policy (which
 * tool runs, `maxSteps`) lives in the SDK; the worker only waits, and the
 * wait ends at once on any cancel of the request.
 */
export async function runChatCompletion(options: {
  context: OpContext;
  input: CompletionInput;
  sequence: LlamaContextSequence;
  deltas: TextCoalescer;
  thoughts: TextCoalescer;
}): Promise<ChatCompletionOutcome> {
  const { context, input, sequence, deltas, thoughts } = options;
  const model = context.model!;
  const functions = toFunctions(input);
  const forced = functions !== undefined && (input.toolChoice === "required" || typeof input.toolChoice === "object");
  const chatWrapper = forced ? forcedCallWrapper(model.chatWrapper) : model.chatWrapper;
  const grammar = input.responseFormat?.type === "json_schema" ? await jsonGrammar(model, input.responseFormat.schema) : undefined;
  const includeThinking = input.includeThinking !== false;
  const history = toChatHistory(input.history);
  const steps: CompletionStep[] = [];
  let text = "";
  let thinkingText = "";
  const outcome = (stopReason: ChatCompletionOutcome["stopReason"]): ChatCompletionOutcome => ({
    stopReason,
    text,
    thinkingText,
    toolCalls: steps.flatMap((step) => step.toolCalls),
    steps,
    stats: totalStats(steps),
  });

  while (true) {
    const turn = await generateChatTurn({
      model,
      sequence,
      chatWrapper,
      history,
      functions,
      grammar,
      parameters: input,
      signal: context.signal,
      // Content and thoughts interleave: flush the other stream first so the client sees them in order.
      onText: (chunk) => {
        thoughts.flush();
        deltas.push(chunk);
      },
      onThought: (chunk) => {
        if (!includeThinking) return;
        deltas.flush();
        thoughts.push(chunk);
      },
    });
    text += turn.text;
    if (includeThinking) thinkingText += turn.thinkingText;
    const calls = turn.calls.map((call) => ({ id: `call_${randomUuid().replaceAll("-", "").slice(0, 16)}`, name: call.name, arguments: call.params ?? {} }));
    steps.push({ text: turn.text, toolCalls: calls, stats: turn.stats });
    if (turn.stopReason !== "toolCalls") {
      const result = outcome(turn.stopReason);
      if (grammar && turn.stopReason === "eos") result.object = parseObject(grammar, turn.text);
      return result;
    }
    deltas.flush();
    thoughts.flush();
    context.emit({ type: "toolCalls", calls, parsedAt: turn.lastCallAt });
    const pending = appendCalls(history, turn.text, calls);
    if (input.awaitToolResults !== true) return outcome("toolCalls");
    const answer = await toolResultsMailbox.wait(context.requestId, context.signal);
    if (answer === "aborted") return outcome("aborted");
    if (answer.action === "stop") return outcome(answer.stopReason);
    const results = new Map(answer.results.map((result) => [result.id, result.content]));
    for (const [id, item] of pending) {
      const content = results.get(id);
      item.result = content === undefined ? { error: "the application sent no result for this call" } : parseToolContent(content);
    }
  }
}

/** The tools as LlamaChat functions; `toolChoice: { name }` offers only that one, `"none"` none. */
function toFunctions(input: CompletionInput): ChatModelFunctions | undefined {
  const choice = input.toolChoice;
  if (!input.tools || input.tools.length === 0 || choice === "none") return undefined;
  const offered = typeof choice === "object" ? input.tools.filter((tool) => tool.name === choice.name) : input.tools;
  return Object.fromEntries(offered.map((tool) => [tool.name, { description: tool.description, params: tool.parameters as never }]));
}

/** Adds this turn's text and calls to the model turn, results still empty; returns the calls by id. */
function appendCalls(history: ChatHistoryItem[], text: string, calls: ToolCallData[]): Map<string, ChatModelFunctionCall> {
  let turn = history.at(-1) as ChatModelResponse | undefined;
  if (!continuesModelTurn(history)) {
    turn = { type: "model", response: [] };
    history.push(turn);
  }
  if (text.length > 0) turn!.response.push(text);
  const pending = new Map<string, ChatModelFunctionCall>();
  for (const call of calls) {
    const item: ChatModelFunctionCall = { type: "functionCall", name: call.name, params: call.arguments, result: undefined };
    turn!.response.push(item);
    pending.set(call.id, item);
  }
  return pending;
}

async function jsonGrammar(model: LoadedModel, schema: Record<string, unknown>): Promise<LlamaJsonSchemaGrammar<never>> {
  try {
    return await model.model.llama.createGrammarForJsonSchema(schema as never);
  } catch (error) {
    throw new InvalidInputError({ field: "responseFormat.schema", reason: `cannot be turned into a grammar: ${error instanceof Error ? error.message : String(error)}`, operation: "completion", cause: error });
  }
}

function parseObject(grammar: LlamaJsonSchemaGrammar<never>, text: string): unknown {
  try {
    return grammar.parse(text);
  } catch {
    return undefined;
  }
}

function totalStats(steps: readonly CompletionStep[]): CompletionStats {
  const first = steps[0]?.stats;
  const last = steps.at(-1)?.stats;
  const generatedTokens = steps.reduce((sum, step) => sum + step.stats.generatedTokens, 0);
  const durationMs = steps.reduce((sum, step) => sum + step.stats.durationMs, 0);
  return {
    promptTokens: last?.promptTokens ?? 0,
    evaluatedPromptTokens: steps.reduce((sum, step) => sum + step.stats.evaluatedPromptTokens, 0),
    generatedTokens,
    timeToFirstTokenMs: first?.timeToFirstTokenMs ?? null,
    durationMs,
    tokensPerSecond: steps.length === 1 ? (last?.tokensPerSecond ?? null) : generatedTokens > 0 && durationMs > 0 ? (generatedTokens * 1000) / durationMs : null,
  };
}
