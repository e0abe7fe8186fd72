import { OP_NAME_PATTERN, parseInput, REQUEST_KINDS, requestIdSchema, timeoutMsSchema } from "@rein/protocol";
import { z } from "zod";

const parentSchema = z.union([requestIdSchema, z.looseObject({ requestId: requestIdSchema })], {
  message: "must be a request id (UUIDv4) or an object with one (a run, a decorated promise, a group)",
});

const requestOptionsSchema = z.object({
  op: z.string().regex(OP_NAME_PATTERN, "must start with a letter and use only letters, digits, _ . : -"),
  kind: z.enum(REQUEST_KINDS, { message: `must be one of ${REQUEST_KINDS.join(", ")}` }),
  requestId: requestIdSchema.optional(),
  timeoutMs: timeoutMsSchema.optional(),
  signal: z.instanceof(AbortSignal, { message: "must be an AbortSignal" }).optional(),
  parent: parentSchema.optional(),
  onProgress: z.custom<(...args: unknown[]) => void>((value) => typeof value === "function", "must be a function").optional(),
});

/**
 * Checks the options every cancellable call shares (and the op name and kind
 * of custom calls) before anything is sent, naming the offending field.
 */
export function validateRequestOptions(options: {
  op: unknown;
  kind: unknown;
  requestId?: unknown;
  timeoutMs?: unknown;
  signal?: unknown;
  parent?: unknown;
  onProgress?: unknown;
}): void {
  const { op, kind, requestId, timeoutMs, signal, parent, onProgress } = options;
  parseInput(requestOptionsSchema, { op, kind, requestId, timeoutMs, signal, parent, onProgress }, typeof op === "string" ? op : "call");
}
