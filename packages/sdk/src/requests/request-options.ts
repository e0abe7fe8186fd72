import { OP_NAME_PATTERN, parseInput, REQUEST_KINDS, requestIdSchema, timeoutMsSchema, type RequestKind } from "@rein/protocol";
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

const KINDS: ReadonlySet<string> = new Set<RequestKind>(REQUEST_KINDS);
/** What requestIdSchema checks (a UUIDv4, any case). */
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/**
 * The options of an ordinary call (a generated or given id, perhaps a timeout, a signal, a parent id),
 * checked by hand: true only for values the schema accepts. zod's parse of the whole object costs
 * 0.1-0.2 ms per call on a loaded machine, inside every request's time to first token.
 */
function plainOptions(options: Parameters<typeof validateRequestOptions>[0]): boolean {
  const { op, kind, requestId, timeoutMs, signal, parent, onProgress } = options;
  return (
    typeof op === "string" &&
    OP_NAME_PATTERN.test(op) &&
    typeof kind === "string" &&
    KINDS.has(kind) &&
    (requestId === undefined || (typeof requestId === "string" && REQUEST_ID.test(requestId))) &&
    (timeoutMs === undefined || (typeof timeoutMs === "number" && Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) &&
    (signal === undefined || signal instanceof AbortSignal) &&
    (parent === undefined || (typeof parent === "string" && REQUEST_ID.test(parent))) &&
    (onProgress === undefined || typeof onProgress === "function")
  );
}

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
  // The common case passes by hand; anything else (and every error, with its field) goes through zod.
  if (plainOptions(options)) return;
  const { op, kind, requestId, timeoutMs, signal, parent, onProgress } = options;
  parseInput(requestOptionsSchema, { op, kind, requestId, timeoutMs, signal, parent, onProgress }, typeof op === "string" ? op : "call");
}
