/**
 * The JSON Schema keywords node-llama-cpp turns into a grammar
 * (`llama.createGrammarForJsonSchema`, function parameters). Anything else
 * would be silently ignored by the grammar, so the model could produce values
 * the app's schema rejects: such a schema is refused before anything runs.
 */
const SUPPORTED_KEYWORDS = new Set([
  "type",
  "const",
  "enum",
  "oneOf",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "prefixItems",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "format",
  "$defs",
  "$ref",
  // Annotations: they change nothing about the values allowed.
  "description",
  "title",
  "$schema",
  "$comment",
  "examples",
  "default",
]);

const SUPPORTED_FORMATS = new Set(["date", "time", "date-time"]);

/** Keywords supported by the grammar, for documentation and error messages. */
export const SUPPORTED_JSON_SCHEMA_KEYWORDS: readonly string[] = [...SUPPORTED_KEYWORDS];

/** Where a schema leaves the supported subset: the dotted path of the keyword and why. */
export interface JsonSchemaSubsetIssue {
  path: string;
  reason: string;
}

/**
 * The first place `schema` uses a keyword the grammar cannot enforce, or
 * `undefined` when all of it is supported.
 *
 * @example
 * ```ts
 * findUnsupportedJsonSchemaKeyword({ type: "string", pattern: "^a" });
 * // { path: "pattern", reason: 'uses "pattern", which the grammar cannot enforce ...' }
 * ```
 */
export function findUnsupportedJsonSchemaKeyword(schema: unknown, path = ""): JsonSchemaSubsetIssue | undefined {
  const at = (key: string) => (path === "" ? key : `${path}.${key}`);
  if (typeof schema === "boolean") return undefined;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    return { path, reason: "must be a JSON Schema object" };
  }
  for (const [key, value] of Object.entries(schema)) {
    if (!SUPPORTED_KEYWORDS.has(key)) {
      return { path: at(key), reason: `uses "${key}", which the grammar cannot enforce (supported: ${SUPPORTED_JSON_SCHEMA_KEYWORDS.join(", ")})` };
    }
    if (key === "format" && !SUPPORTED_FORMATS.has(String(value))) {
      return { path: at(key), reason: `uses format "${String(value)}"; supported formats: ${[...SUPPORTED_FORMATS].join(", ")}` };
    }
    const nested = nestedSchemas(key, value);
    for (const [suffix, child] of nested) {
      const issue = findUnsupportedJsonSchemaKeyword(child, at(suffix));
      if (issue) return issue;
    }
  }
  return undefined;
}

function nestedSchemas(key: string, value: unknown): [string, unknown][] {
  switch (key) {
    case "properties":
    case "$defs":
      return typeof value === "object" && value !== null ? Object.entries(value).map(([name, child]) => [`${key}.${name}`, child]) : [];
    case "oneOf":
    case "prefixItems":
      return Array.isArray(value) ? value.map((child, index) => [`${key}.${index}`, child]) : [];
    case "items":
    case "additionalProperties":
      return typeof value === "object" && value !== null ? [[key, value]] : [];
    default:
      return [];
  }
}
