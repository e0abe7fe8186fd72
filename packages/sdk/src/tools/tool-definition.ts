import type { ToolCallData } from "@rein/protocol";
import type { z } from "zod";
import type { SchemaInput } from "./json-schema-input.ts";

/** What `execute` gets besides the arguments. */
export interface ToolExecuteOptions {
  /** Aborted the moment the run is cancelled (by id, signal, deadline, parent, broad cancel, `break`). */
  signal: AbortSignal;
  /** The run's one requestId, shared by every step. */
  requestId: string;
  call: ToolCallData;
}

/**
 * A function the model may call. `parameters` is a JSON Schema (the grammar
 * subset) or a zod schema; without `execute` the run ends with
 * `stopReason: "toolCalls"` and the app answers in the next `completion()`.
 */
export interface Tool<Arguments = any, Result = unknown> {
  description?: string;
  parameters?: SchemaInput;
  execute?: (args: Arguments, options: ToolExecuteOptions) => Result | Promise<Result>;
}

export type ToolSet = Record<string, Tool>;

/**
 * Declares a tool with its argument type inferred from a zod schema.
 *
 * @example
 * ```ts
 * const weather = tool({
 *   description: "Current weather in a city",
 *   parameters: z.object({ city: z.string().max(40) }),
 *   execute: async ({ city }, { signal }) => (await fetch(`https://wttr.in/${city}?format=j1`, { signal })).json(),
 * });
 * ```
 */
export function tool<Schema extends z.ZodType, Result>(definition: {
  description?: string;
  parameters: Schema;
  execute?: (args: z.output<Schema>, options: ToolExecuteOptions) => Result | Promise<Result>;
}): Tool<z.output<Schema>, Result>;
export function tool<Result>(definition: Tool<any, Result>): Tool<any, Result>;
export function tool(definition: Tool): Tool {
  return definition;
}
