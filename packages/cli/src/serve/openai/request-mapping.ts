/**
 * OpenAI request bodies -> @rein/sdk params. zod checks the OpenAI shape here
 * (so errors name OpenAI's parameters); the SDK then validates the values with
 * @rein/protocol's own schemas (ranges, tool names, the JSON Schema subset),
 * and `openAiParam` translates the field names of those errors back.
 * Unknown top-level parameters are ignored as OpenAI-compatible servers do
 * (clients send `user`, `logprobs: false`, ...); ones that would change the
 * answer and cannot be honoured (`n` > 1) are refused.
 */
import { InvalidInputError, type ChatMessage, type CompletionParams, type ToolChoice, type ToolSet } from "@rein/sdk";
import { z } from "zod";

const textPart = z.object({ type: z.literal("text"), text: z.string() });
/** A message's content: a string, or text parts (images are not supported by the engine). */
const content = z.union([z.string(), z.array(textPart, { error: "only text parts are supported" })]);

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const message = z.discriminatedUnion(
  "role",
  [
    z.object({ role: z.enum(["system", "developer"]), content }),
    z.object({ role: z.literal("user"), content }),
    z.object({ role: z.literal("assistant"), content: content.nullish(), tool_calls: z.array(toolCall).optional() }),
    z.object({ role: z.literal("tool"), tool_call_id: z.string().min(1), content }),
  ],
  { error: "must be one of system, developer, user, assistant, tool" },
);

const functionTool = z.object({
  type: z.literal("function"),
  function: z.object({ name: z.string(), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }),
});

export const chatCompletionRequestSchema = z.object({
  model: z.string().min(1, "must name a served model"),
  messages: z.array(message).min(1, "must hold at least one message"),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().nullish(),
  max_completion_tokens: z.number().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  seed: z.number().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  n: z.literal(1, { error: "only n = 1 is supported" }).nullish(),
  tools: z.array(functionTool).nullish(),
  tool_choice: z
    .union([z.enum(["auto", "none", "required"]), z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) })])
    .nullish(),
  response_format: z
    .discriminatedUnion("type", [
      z.object({ type: z.literal("text") }),
      z.object({ type: z.literal("json_object") }),
      z.object({ type: z.literal("json_schema"), json_schema: z.object({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()).optional() }) }),
    ])
    .nullish(),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

/**
 * `json_object` asks for "some JSON object"; the grammar needs a schema, and
 * an object with free-form values of the basic types is the closest it holds.
 */
const ANY_JSON_OBJECT = { type: "object", additionalProperties: { type: ["string", "number", "boolean", "null"] } };

/**
 * Validates a body with `schema`; the first problem becomes an InvalidInputError naming the OpenAI field.
 *
 * @example
 * ```ts
 * const body = parseOpenAiBody(chatCompletionRequestSchema, request.body, "chat.completions");
 * ```
 */
export function parseOpenAiBody<Schema extends z.ZodType>(schema: Schema, body: unknown, operation: string): z.output<Schema> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new InvalidInputError({ field: issue ? issue.path.map(String).join(".") : "", reason: issue?.message ?? "invalid value", operation });
}

/**
 * The SDK completion params of a validated chat request (`modelId` from the served model).
 *
 * @example
 * ```ts
 * client.completion({ ...toCompletionParams(body, modelId), requestId, signal });
 * ```
 */
export function toCompletionParams(body: ChatCompletionRequest, modelId: string): CompletionParams {
  const params: CompletionParams = { modelId, history: body.messages.map(toChatMessage) };
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) params.maxTokens = maxTokens;
  if (body.temperature != null) params.temperature = body.temperature;
  if (body.top_p != null) params.topP = body.top_p;
  if (body.seed != null) params.seed = body.seed;
  if (body.stop != null) params.stopSequences = typeof body.stop === "string" ? [body.stop] : body.stop;
  if (body.tools != null && body.tools.length > 0) {
    const tools: ToolSet = {};
    for (const { function: definition } of body.tools) {
      tools[definition.name] = { description: definition.description, ...(definition.parameters ? { parameters: definition.parameters } : {}) };
    }
    params.tools = tools;
  }
  if (body.tool_choice != null) params.toolChoice = toToolChoice(body.tool_choice);
  const format = body.response_format;
  if (format?.type === "json_object") params.responseFormat = { type: "json_schema", schema: ANY_JSON_OBJECT };
  if (format?.type === "json_schema") {
    params.responseFormat = { type: "json_schema", schema: format.json_schema.schema ?? ANY_JSON_OBJECT, ...(format.json_schema.name ? { name: format.json_schema.name } : {}) };
  }
  return params;
}

function toToolChoice(choice: NonNullable<ChatCompletionRequest["tool_choice"]>): ToolChoice {
  return typeof choice === "string" ? choice : { name: choice.function.name };
}

function toChatMessage(entry: ChatCompletionRequest["messages"][number], index: number): ChatMessage {
  switch (entry.role) {
    case "system":
    case "developer":
      return { role: "system", content: text(entry.content) };
    case "user":
      return { role: "user", content: text(entry.content) };
    case "tool":
      return { role: "tool", toolCallId: entry.tool_call_id, content: text(entry.content) };
    case "assistant": {
      const calls = entry.tool_calls?.map((call, callIndex) => ({ id: call.id, name: call.function.name, arguments: parseArguments(call.function.arguments, `messages.${index}.tool_calls.${callIndex}.function.arguments`) }));
      return { role: "assistant", content: entry.content == null ? "" : text(entry.content), ...(calls && calls.length > 0 ? { toolCalls: calls } : {}) };
    }
  }
}

function text(value: string | { text: string }[]): string {
  return typeof value === "string" ? value : value.map((part) => part.text).join("");
}

function parseArguments(json: string, field: string): unknown {
  try {
    return json.trim() === "" ? {} : JSON.parse(json);
  } catch {
    throw new InvalidInputError({ field, reason: "is not valid JSON", operation: "chat.completions" });
  }
}

/** Rein field names in SDK errors -> the OpenAI parameter they came from. */
const PARAM_NAMES: Record<string, string> = {
  history: "messages",
  maxTokens: "max_tokens",
  topP: "top_p",
  stopSequences: "stop",
  toolChoice: "tool_choice",
  responseFormat: "response_format",
  toolCalls: "tool_calls",
  toolCallId: "tool_call_id",
  modelId: "model",
  text: "input",
  texts: "input",
};

/**
 * Translates a Rein field path to OpenAI's names, segment by segment.
 *
 * @example
 * ```ts
 * openAiParam("history.2.toolCalls.0"); // "messages.2.tool_calls.0"
 * ```
 */
export function openAiParam(field: string): string {
  return field
    .split(".")
    .map((segment) => PARAM_NAMES[segment] ?? segment)
    .join(".");
}
