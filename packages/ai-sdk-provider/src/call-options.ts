import type { LanguageModelV4CallOptions, SharedV4Warning } from "@ai-sdk/provider";
import { trimGeneratedJsonSchema, type CompletionParams, type ToolSet } from "@rein/sdk";
import { toReinHistory } from "./prompt-mapping.ts";

/** Per-model settings of `rein(modelSrc, settings)` that shape each call. */
export interface ReinCallSettings {
  /** `false` leaves thought segments out of the output (no `reasoning` parts). Default true. */
  includeThinking?: boolean;
  /** A deadline for each call, queue wait included, enforced by the worker (RequestTimeoutError). */
  timeoutMs?: number;
}

/** `providerOptions.rein` of one call: overrides the model's settings for that call. */
export type ReinProviderOptions = ReinCallSettings;

/** Everything of a completion except the model and the signal, which the language model adds. */
export type ReinCompletionInput = Omit<CompletionParams, "modelId" | "signal">;

/**
 * The AI SDK's call options as Rein completion params, plus a warning for every option Rein does not
 * support (never silently dropped): presence and frequency penalties, a reasoning effort, JSON output
 * without a schema, provider-defined tools, tool input examples, HTTP headers other than the
 * `user-agent` the AI SDK always adds.
 *
 * Tools carry only their JSON Schemas (no `execute`): a turn with calls ends with
 * `stopReason: "toolCalls"`, the calls come back as `tool-call` parts, and `ai` runs its own loop.
 *
 * @example
 * ```ts
 * const { input, warnings } = toCompletionInput({ prompt, maxOutputTokens: 64, presencePenalty: 1 }, {});
 * // input.maxTokens === 64; warnings: [{ type: "unsupported", feature: "presencePenalty" }]
 * ```
 */
export function toCompletionInput(options: LanguageModelV4CallOptions, settings: ReinCallSettings): { input: ReinCompletionInput; warnings: SharedV4Warning[] } {
  const { history, warnings } = toReinHistory(options.prompt);
  const unsupported = (feature: string, details?: string) => warnings.push(details === undefined ? { type: "unsupported", feature } : { type: "unsupported", feature, details });
  if (options.presencePenalty !== undefined) unsupported("presencePenalty");
  if (options.frequencyPenalty !== undefined) unsupported("frequencyPenalty");
  if (options.reasoning !== undefined && options.reasoning !== "provider-default") {
    unsupported("reasoning", "Rein cannot set a reasoning effort; thought segments arrive as the model produces them (includeThinking: false hides them).");
  }
  const extraHeaders = Object.entries(options.headers ?? {}).filter(([name, value]) => value !== undefined && name.toLowerCase() !== "user-agent");
  if (extraHeaders.length > 0) unsupported("headers", "Rein runs the model locally; there is no HTTP request to carry them.");

  const rein = { ...settings, ...readProviderOptions(options.providerOptions) };
  const input: ReinCompletionInput = { history };
  if (options.maxOutputTokens !== undefined) input.maxTokens = options.maxOutputTokens;
  if (options.temperature !== undefined) input.temperature = options.temperature;
  if (options.topP !== undefined) input.topP = options.topP;
  if (options.topK !== undefined) input.topK = options.topK;
  if (options.seed !== undefined) input.seed = options.seed;
  if (options.stopSequences !== undefined && options.stopSequences.length > 0) input.stopSequences = options.stopSequences;
  if (rein.includeThinking !== undefined) input.includeThinking = rein.includeThinking;
  if (rein.timeoutMs !== undefined) input.timeoutMs = rein.timeoutMs;

  if (options.responseFormat?.type === "json") {
    if (options.responseFormat.schema !== undefined) {
      const name = options.responseFormat.name;
      input.responseFormat = { type: "json_schema", schema: trimGeneratedJsonSchema(options.responseFormat.schema) as Record<string, unknown>, ...(name !== undefined ? { name } : {}) };
    } else {
      unsupported("responseFormat", "JSON output without a schema: Rein constrains output with a JSON Schema grammar only; the model answers in plain text.");
    }
  }

  const tools: ToolSet = {};
  for (const tool of options.tools ?? []) {
    if (tool.type === "provider") {
      unsupported(`provider-defined tool ${tool.id}`, "Rein runs function tools only.");
      continue;
    }
    if (tool.inputExamples !== undefined && tool.inputExamples.length > 0) unsupported(`tools.${tool.name}.inputExamples`);
    tools[tool.name] = { ...(tool.description !== undefined ? { description: tool.description } : {}), parameters: trimGeneratedJsonSchema(tool.inputSchema) as Record<string, unknown> };
  }
  if (Object.keys(tools).length > 0) {
    input.tools = tools;
    const choice = options.toolChoice;
    if (choice !== undefined) input.toolChoice = choice.type === "tool" ? { name: choice.toolName } : choice.type;
  }
  return { input, warnings };
}

/** `providerOptions.rein`, keeping only the keys Rein reads; their values are checked by the SDK. */
function readProviderOptions(providerOptions: LanguageModelV4CallOptions["providerOptions"]): ReinProviderOptions {
  const options = providerOptions?.rein;
  if (options === undefined) return {};
  const picked: ReinProviderOptions = {};
  if (options.includeThinking !== undefined) picked.includeThinking = options.includeThinking as boolean;
  if (options.timeoutMs !== undefined) picked.timeoutMs = options.timeoutMs as number;
  return picked;
}
