import type { ToolCallData, ToolErrorReason } from "@rein/protocol";
import { isZodSchema } from "./json-schema-input.ts";
import type { ToolSet } from "./tool-definition.ts";

/** What the worker accepts for one result (the history's content limit). */
export const MAX_RESULT_CHARACTERS = 4_000_000;

export type ToolOutcome =
  | { ok: true; result: unknown; content: string }
  | { ok: false; reason: ToolErrorReason; message: string; cause?: unknown };

/**
 * Runs one call of the model in the app: looks the tool up, checks the
 * arguments against a zod schema (the grammar already enforced the JSON
 * Schema form; refinements and checks beyond it are zod's), executes it, and
 * turns the result into the JSON text the model will read. Every failure
 * becomes a ToolOutcome, never a throw: the loop decides whether the model
 * sees it or the run fails.
 */
export async function runToolCall(tools: ToolSet, call: ToolCallData, options: { signal: AbortSignal; requestId: string }): Promise<ToolOutcome> {
  const tool = Object.hasOwn(tools, call.name) ? tools[call.name] : undefined;
  if (!tool?.execute) return { ok: false, reason: "unknownTool", message: `There is no tool named "${call.name}".` };
  let args = call.arguments;
  if (tool.parameters && isZodSchema(tool.parameters)) {
    const parsed = tool.parameters.safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
      return { ok: false, reason: "invalidArguments", message: `Invalid arguments for "${call.name}"${where}: ${issue?.message ?? "invalid"}`, cause: parsed.error };
    }
    args = parsed.data;
  }
  let result: unknown;
  try {
    result = await tool.execute(args, { signal: options.signal, requestId: options.requestId, call });
  } catch (error) {
    return { ok: false, reason: "executeFailed", message: `"${call.name}" failed: ${error instanceof Error ? error.message : String(error)}`, cause: error };
  }
  try {
    const content = JSON.stringify(result === undefined ? null : result);
    if (typeof content !== "string") throw new TypeError(`${typeof result} has no JSON form`);
    if (content.length > MAX_RESULT_CHARACTERS) throw new RangeError(`its JSON is ${content.length} characters, more than ${MAX_RESULT_CHARACTERS}`);
    return { ok: true, result, content };
  } catch (error) {
    return { ok: false, reason: "unserializableResult", message: `"${call.name}" returned a value that cannot be turned into JSON: ${error instanceof Error ? error.message : String(error)}`, cause: error };
  }
}
