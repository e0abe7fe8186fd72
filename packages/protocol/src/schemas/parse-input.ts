import type { z } from "zod";
import { InvalidInputError } from "../errors/error-classes.ts";

type Issue = z.core.$ZodIssue;

/**
 * Validates `value` with `schema`, turning the first zod issue into an
 * `InvalidInputError` that names the field (`history.0.role`) and the reason.
 * Used on both sides of the wire: the client for a clear error before anything
 * is sent, the worker so that a client that skips validation cannot crash it.
 *
 * @example
 * ```ts
 * parseInput(completionInputSchema, { modelId: "m", history: [] }, "completion");
 * // throws InvalidInputError: Invalid "history" for completion: must hold at least one message
 * ```
 */
export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown, operation: string): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = mostSpecificIssue(result.error.issues, value);
  const path = issue ? [...issue.path] : [];
  // An unknown key is a problem of that key, not of the object around it.
  if (issue?.code === "unrecognized_keys" && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const reason = issue?.code === "unrecognized_keys" ? "is not a known option" : (issue?.message ?? "invalid value");
  throw new InvalidInputError({ field: path.map(String).join("."), reason, operation });
}

/**
 * A union (e.g. `{ text }` or `{ texts }`, or the cancel forms) fails as one
 * opaque "invalid input" at the root. Pick the branch the caller meant: one
 * whose discriminator (a literal like `operation: "broad"`) matched, then a
 * complaint about a field they actually passed, the deepest first. When no
 * branch fits, say what would have.
 */
function mostSpecificIssue(issues: readonly Issue[], value: unknown): Issue | undefined {
  const first = issues[0];
  // A discriminated union whose discriminator matched no branch has no branch errors: its own message says it.
  if (!first || first.code !== "invalid_union" || !("errors" in first) || first.errors.length === 0) return first;
  const prefix = (issue: Issue) => ({ ...issue, path: [...first.path, ...issue.path] }) as Issue;
  const branches = first.errors.map((branch) => branch.map(prefix));
  const isPresent = (issue: Issue) => valueAt(value, issue.path) !== undefined;
  const wrongLiteral = (issue: Issue) => issue.code === "invalid_value" && issue.values.length === 1 && isPresent(issue);
  const matching = branches.filter((branch) => branch.length > 0 && !branch.some(wrongLiteral));
  const rank = (issue: Issue) => (issue.code === "unrecognized_keys" ? 2 : isPresent(issue) ? 0 : 1);
  const candidates = matching
    .map((branch) => mostSpecificIssue(branch, value))
    .filter((issue): issue is Issue => issue !== undefined)
    .filter((issue) => rank(issue) < 1 || issue.code === "unrecognized_keys");
  candidates.sort((a, b) => rank(a) - rank(b) || b.path.length - a.path.length);
  if (candidates[0] && candidates[0].code !== "unrecognized_keys") return candidates[0];
  // One branch took every key given (its discriminator matched) and only lacks fields: say which one is missing
  // (`{ operation: "rag" }` lacks `workspace`), rather than listing the other branches' discriminators.
  const complete = matching.filter((branch) => !branch.some((issue) => issue.code === "unrecognized_keys"));
  const others = branches.filter((branch) => !matching.includes(branch));
  if (complete.length === 1 && others.length > 0 && complete[0]![0]) return complete[0]![0];
  const literals = branches.flat().filter(wrongLiteral);
  if (literals.length > 0) {
    const allowed = [...new Set(literals.flatMap((issue) => (issue.code === "invalid_value" ? issue.values.map(String) : [])))];
    return { ...literals[0]!, message: `must be one of ${allowed.join(", ")}` } as Issue;
  }
  if (candidates[0]) return candidates[0];
  const fields = [...new Set(branches.flat().map((issue) => String(issue.path[first.path.length] ?? "")).filter(Boolean))];
  return { ...first, message: `must have one of the fields ${fields.join(", ")}` } as Issue;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
