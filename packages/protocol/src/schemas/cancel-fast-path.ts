import type { CancelReason } from "../errors/error-classes.ts";
import { UUID_V4 } from "./common.ts";

const CANCEL_REASONS: ReadonlySet<string> = new Set<CancelReason>(["user", "abortSignal", "parentCancelled", "modelUnloaded", "shutdown", "clientDisconnected"]);

/** A cancel of one request by id: the Stop button's message, and the one form on a latency path. */
export interface CancelByIdMessage {
  target: { operation: "request"; requestId: string; clearCache?: boolean };
  reason?: CancelReason;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Exactly the keys in `allowed` (some optional): what a zod `.strict()` object accepts. */
function hasOnlyKeys(value: Record<string, unknown>, required: readonly string[], optional: readonly string[]): boolean {
  const keys = Object.keys(value);
  let present = 0;
  for (const key of keys) {
    if (required.includes(key)) present += 1;
    else if (!optional.includes(key)) return false;
  }
  return present === required.length;
}

function requestTarget(value: unknown, withOperation: boolean): { requestId: string; clearCache?: boolean } | undefined {
  if (!isPlainObject(value)) return undefined;
  const required = withOperation ? ["operation", "requestId"] : ["requestId"];
  if (!hasOnlyKeys(value, required, ["clearCache"])) return undefined;
  if (withOperation && value.operation !== "request") return undefined;
  const { requestId, clearCache } = value;
  if (typeof requestId !== "string" || !UUID_V4.test(requestId)) return undefined;
  if (clearCache !== undefined && typeof clearCache !== "boolean") return undefined;
  return clearCache === undefined ? { requestId } : { requestId, clearCache };
}

/**
 * The worker's wire message `{ target: { operation: "request", requestId }, reason? }`, checked by hand; any
 * other shape (or a malformed one) returns undefined and goes to the zod schema, which then names the field.
 * The result equals what `cancelMessageSchema` returns for it. Why: zod's union parse costs tens of µs per
 * cancel (hundreds on a loaded machine), on the path the issue 17 targets count in µs.
 *
 * @example
 * ```ts
 * const message = cancelByIdMessage(payload) ?? parseInput(cancelMessageSchema, payload, "cancel");
 * ```
 */
export function cancelByIdMessage(payload: unknown): CancelByIdMessage | undefined {
  if (!isPlainObject(payload) || !hasOnlyKeys(payload, ["target"], ["reason"])) return undefined;
  const target = requestTarget(payload.target, true);
  if (target === undefined) return undefined;
  const { reason } = payload;
  if (reason === undefined) return { target: { operation: "request", ...target } };
  if (typeof reason !== "string" || !CANCEL_REASONS.has(reason)) return undefined;
  return { target: { operation: "request", ...target }, reason: reason as CancelReason };
}

/**
 * `cancel({ requestId })` (or `{ operation: "request", requestId }`) checked by hand, normalised as
 * `parseCancelTarget` would; undefined for anything else (the zod path handles it and its errors).
 *
 * @example
 * ```ts
 * cancelByIdTarget({ requestId: run.requestId }); // { operation: "request", requestId }
 * cancelByIdTarget({ modelId: "m" }); // undefined
 * ```
 */
export function cancelByIdTarget(target: unknown): { operation: "request"; requestId: string; clearCache?: boolean } | undefined {
  const withOperation = isPlainObject(target) && "operation" in target;
  const parsed = requestTarget(target, withOperation);
  return parsed === undefined ? undefined : { operation: "request", ...parsed };
}
