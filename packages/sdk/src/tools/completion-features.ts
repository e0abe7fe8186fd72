import { InvalidInputError, type CompletionInput, type ResponseFormat, type ToolChoice } from "@rein/protocol";
import type { z } from "zod";
import type { CompletionFeatures } from "../run/completion-run.ts";
import { isZodSchema, toGrammarSchema, type SchemaInput } from "./json-schema-input.ts";
import type { ToolSet } from "./tool-definition.ts";
import { DEFAULT_MAX_STEPS, type ToolAnswer } from "./tool-loop.ts";

/** The completion options that are app-side objects (functions, zod schemas) rather than wire JSON. */
export interface CompletionToolOptions {
  /** The functions the model may call, by name. */
  tools?: ToolSet;
  toolChoice?: ToolChoice;
  /** Most model turns a run with executing tools takes; default 8, then `stopReason: "maxSteps"`. */
  maxSteps?: number;
  /** `"feedBack"` (default): a failed tool call is reported to the model; `"throw"`: the run fails with ToolCallFailedError. */
  toolErrors?: "feedBack" | "throw";
  responseFormat?: { type: "text" } | { type: "json_schema"; schema: SchemaInput; name?: string };
}

type WireInput = Omit<CompletionInput, "tools" | "responseFormat"> & { tools?: unknown; responseFormat?: unknown };

/**
 * Splits completion params into what goes to the worker (tools as JSON
 * Schema definitions, `awaitToolResults` when a tool executes here) and what
 * stays in the app (the functions, zod schemas). Throws InvalidInputError
 * naming the field, before anything is sent.
 */
export function prepareCompletion(
  params: WireInput & CompletionToolOptions,
  send: (requestId: string, answer: ToolAnswer) => Promise<unknown>,
  requestId: string,
): { input: CompletionInput; features: CompletionFeatures } {
  const { tools, maxSteps, toolErrors, responseFormat, ...rest } = params;
  const input: Record<string, unknown> = { ...rest };
  const features: CompletionFeatures = { history: Array.isArray(params.history) ? params.history : undefined };
  if (maxSteps !== undefined && (!Number.isInteger(maxSteps) || maxSteps < 1 || maxSteps > 1000)) {
    throw new InvalidInputError({ field: "maxSteps", reason: "must be a whole number from 1 to 1000", operation: "completion" });
  }
  if (toolErrors !== undefined && toolErrors !== "feedBack" && toolErrors !== "throw") {
    throw new InvalidInputError({ field: "toolErrors", reason: 'must be "feedBack" or "throw"', operation: "completion" });
  }
  if (tools !== undefined) {
    if (typeof tools !== "object" || tools === null || Array.isArray(tools)) {
      throw new InvalidInputError({ field: "tools", reason: "must map tool names to { description?, parameters?, execute? }", operation: "completion" });
    }
    input.tools = Object.entries(tools).map(([name, tool]) => {
      if (typeof tool !== "object" || tool === null) throw new InvalidInputError({ field: `tools.${name}`, reason: "must be an object", operation: "completion" });
      if (tool.execute !== undefined && typeof tool.execute !== "function") {
        throw new InvalidInputError({ field: `tools.${name}.execute`, reason: "must be a function", operation: "completion" });
      }
      return {
        name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        ...(tool.parameters !== undefined ? { parameters: toGrammarSchema(tool.parameters, `tools.${name}.parameters`) } : {}),
      };
    });
    if (Object.values(tools).some((tool) => typeof tool.execute === "function")) {
      input.awaitToolResults = true;
      features.tools = { tools, maxSteps: maxSteps ?? DEFAULT_MAX_STEPS, toolErrors: toolErrors ?? "feedBack", send: (answer) => send(requestId, answer) };
    }
  }
  if (responseFormat !== undefined) input.responseFormat = wireResponseFormat(responseFormat, features);
  return { input: input as CompletionInput, features };
}

function wireResponseFormat(format: CompletionToolOptions["responseFormat"], features: CompletionFeatures): ResponseFormat | unknown {
  if (typeof format !== "object" || format === null || format.type !== "json_schema") return format;
  if (isZodSchema(format.schema)) features.objectSchema = format.schema as z.ZodType;
  return { ...format, schema: toGrammarSchema(format.schema, "responseFormat.schema") };
}
