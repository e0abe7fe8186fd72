import type { z } from "zod";
import { InvalidInputError } from "../errors/error-classes.ts";

/**
 * Validates `value` with `schema`, turning the first zod issue into an
 * `InvalidInputError` that names the field (`history.0.role`) and the reason.
 * Used on both sides of the wire: the client for a clear error before anything
 * is sent, the worker so that a client that skips validation cannot crash it.
 */
export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown, operation: string): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? issue.path.map(String).join(".") : "";
  throw new InvalidInputError({ field, reason: issue?.message ?? "invalid value", operation });
}
