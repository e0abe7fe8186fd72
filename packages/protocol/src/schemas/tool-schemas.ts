import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";
import { findUnsupportedJsonSchemaKeyword } from "./json-schema-subset.ts";

/** node-llama-cpp refuses names with spaces or newlines; this is also what OpenAI accepts. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,64}$/;

/** A JSON Schema inside the grammar subset; the first unsupported keyword is named in the error. */
export const grammarJsonSchema = lazySchema(() =>
  z.record(z.string(), z.unknown()).superRefine((schema, context) => {
    const issue = findUnsupportedJsonSchemaKeyword(schema);
    if (issue) context.addIssue({ code: "custom", message: issue.reason, path: issue.path === "" ? [] : issue.path.split(".") });
  }),
);

export const toolDefinitionSchema = lazySchema(() =>
  z
    .object({
      name: z.string().regex(TOOL_NAME_PATTERN, "must be 1-64 letters, digits, _ . or -"),
      description: z.string().max(8192, "is longer than 8,192 characters").optional(),
      /** JSON Schema of the arguments; a tool without one takes no arguments. */
      parameters: grammarJsonSchema.optional(),
    })
    .strict(),
);

export type ToolDefinition = z.infer<typeof toolDefinitionSchema>;

/** One call the model made. `arguments` already conform to the tool's parameters grammar. */
export const toolCallSchema = lazySchema(() =>
  z
    .object({
      id: z.string().min(1, "must not be empty").max(256),
      name: z.string().regex(TOOL_NAME_PATTERN, "must be 1-64 letters, digits, _ . or -"),
      arguments: z.unknown(),
    })
    .strict(),
);

export type ToolCall = z.infer<typeof toolCallSchema>;

export const toolChoiceSchema = lazySchema(() =>
  z.union([
    z.enum(["auto", "none", "required"]),
    z.object({ name: z.string().regex(TOOL_NAME_PATTERN, "must be 1-64 letters, digits, _ . or -") }).strict(),
  ]),
);

export type ToolChoice = z.infer<typeof toolChoiceSchema>;

export const responseFormatSchema = lazySchema(() =>
  z.discriminatedUnion("type", [
    z.object({ type: z.literal("text") }).strict(),
    z.object({ type: z.literal("json_schema"), schema: grammarJsonSchema, name: z.string().max(256).optional() }).strict(),
  ]),
);

export type ResponseFormat = z.infer<typeof responseFormatSchema>;

/** One tool's answer, as the model will read it: a JSON text (`{ "error": ... }` for a failed call). */
export const toolResultSchema = lazySchema(() =>
  z
    .object({
      id: z.string().min(1, "must not be empty").max(256),
      content: z.string().max(4_000_000, "is longer than 4,000,000 characters"),
    })
    .strict(),
);

/**
 * What the client answers after a `toolCalls` chunk of a completion that
 * awaits tool results (`awaitToolResults: true`): the results to continue
 * with, or a stop. Sent as the `completion.toolResults` control.
 */
export const toolResultsInputSchema = lazySchema(() =>
  z.discriminatedUnion("action", [
    z.object({ requestId: z.string().min(1).max(256), action: z.literal("continue"), results: z.array(toolResultSchema).max(128) }).strict(),
    z.object({ requestId: z.string().min(1).max(256), action: z.literal("stop"), stopReason: z.enum(["toolCalls", "maxSteps"]) }).strict(),
  ]),
);

export type ToolResultsInput = z.infer<typeof toolResultsInputSchema>;
