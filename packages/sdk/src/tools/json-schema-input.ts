import { findUnsupportedJsonSchemaKeyword, InvalidInputError } from "@rein/protocol";
import { z } from "zod";

/** A JSON Schema object (the grammar subset) or a zod schema. */
export type SchemaInput = Record<string, unknown> | z.ZodType;

export function isZodSchema(schema: unknown): schema is z.ZodType {
  return typeof schema === "object" && schema !== null && "_zod" in schema && typeof (schema as { safeParse?: unknown }).safeParse === "function";
}

/**
 * The JSON Schema the worker turns into a grammar. A zod schema is converted
 * with `z.toJSONSchema` and trimmed of what zod adds but the grammar cannot
 * hold and need not: `$schema`, the ±2^53 bounds of `z.int()`, and `anyOf`
 * (zod's `nullable`/unions), which becomes `oneOf` (the grammar picks one
 * branch either way; zod checks the value afterwards). A plain JSON Schema is
 * taken as written and must stay inside the subset: the first unsupported
 * keyword is named in an InvalidInputError.
 *
 * @example
 * ```ts
 * toGrammarSchema(z.object({ city: z.string().max(40) }), "tools.weather.parameters");
 * // { type: "object", properties: { city: { type: "string", maxLength: 40 } }, required: ["city"], additionalProperties: false }
 * ```
 */
export function toGrammarSchema(schema: SchemaInput, field: string, operation = "completion"): Record<string, unknown> {
  let converted: unknown;
  if (isZodSchema(schema)) {
    try {
      converted = trimGeneratedJsonSchema(z.toJSONSchema(schema));
    } catch (error) {
      throw new InvalidInputError({ field, reason: `has no JSON Schema form: ${error instanceof Error ? error.message : String(error)}`, operation, cause: error });
    }
  } else {
    converted = schema;
  }
  if (typeof converted !== "object" || converted === null || Array.isArray(converted)) {
    throw new InvalidInputError({ field, reason: "must be a JSON Schema object or a zod schema", operation });
  }
  const issue = findUnsupportedJsonSchemaKeyword(converted);
  if (issue) throw new InvalidInputError({ field: issue.path === "" ? field : `${field}.${issue.path}`, reason: issue.reason, operation });
  return converted as Record<string, unknown>;
}

/**
 * A JSON Schema generated from a zod schema (by `z.toJSONSchema`, here or in another library such as the
 * Vercel AI SDK) without what the generator adds but the grammar cannot hold and need not: `$schema`, the
 * ±2^53 bounds of `z.int()`, and `anyOf`, which becomes `oneOf`. Anything else is left for the subset check.
 *
 * @example
 * ```ts
 * trimGeneratedJsonSchema({ anyOf: [{ type: "string" }, { type: "null" }] }); // { oneOf: [...] }
 * ```
 */
export function trimGeneratedJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(trimGeneratedJsonSchema);
  if (typeof value !== "object" || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === "$schema") continue;
    if ((key === "minimum" || key === "maximum") && Math.abs(Number(child)) === Number.MAX_SAFE_INTEGER) continue;
    result[key === "anyOf" ? "oneOf" : key] = trimGeneratedJsonSchema(child);
  }
  return result;
}
