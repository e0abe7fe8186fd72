import { APICallError, AISDKError } from "@ai-sdk/provider";
import { ErrorCode, InferenceCancelledError, ReinError, RequestTimeoutError } from "@rein/sdk";

/** What the AI SDK reads from a provider error: where the call went and what was sent. */
export interface ReinCallContext {
  /** `rein://<operation>/<modelSrc>`: not a network address, only a stable name for logs and telemetry. */
  url: string;
  requestBodyValues: unknown;
  abortSignal?: AbortSignal;
}

/**
 * Rein codes a second try can fix: the worker died (the next call starts a new one) or a concurrency
 * policy refused the request while the model was busy. Everything else (a cancel, a deadline, bad
 * input, a model that does not load) fails the same way again, so `ai` must not retry it.
 */
const RETRYABLE_CODES = new Set<number>([ErrorCode.WorkerCrashed, ErrorCode.RequestRejectedByPolicy]);

/**
 * The error a provider call rejects with, in the shape the AI SDK expects:
 *
 * - the call's own `abortSignal` stopped it: an error named `AbortError` (or `TimeoutError` when the
 *   signal's reason is one, as with `AbortSignal.timeout()`), so `streamText` ends with an `abort` part
 *   and `generateText` rejects the way a `fetch`-based provider does; its `cause` is Rein's
 *   InferenceCancelledError with the partial output and the worker's stats;
 * - any other Rein error: an `APICallError` whose `cause` is the Rein error and whose `data` holds its
 *   numeric `code`, `name` and `requestId`; `isRetryable` only for a crashed worker or a policy refusal;
 * - errors of the AI SDK itself pass through unchanged.
 *
 * @example
 * ```ts
 * try { await run.final } catch (error) { throw toProviderError(error, { url: "rein://completion/m.gguf", requestBodyValues: input, abortSignal }) }
 * ```
 */
export function toProviderError(error: unknown, context: ReinCallContext): unknown {
  if (AISDKError.isInstance(error) || isAbortLike(error)) return error;
  if (context.abortSignal?.aborted && (InferenceCancelledError.isInstance(error) || RequestTimeoutError.isInstance(error))) {
    return abortError(context.abortSignal, error);
  }
  if (!ReinError.isInstance(error)) return error;
  const requestId = (error as { requestId?: unknown }).requestId;
  return new APICallError({
    message: error.message,
    url: context.url,
    requestBodyValues: context.requestBodyValues,
    cause: error,
    isRetryable: RETRYABLE_CODES.has(error.code),
    data: { code: error.code, name: error.name, ...(typeof requestId === "string" ? { requestId } : {}) },
  });
}

/** An `AbortError` for an aborted call, named after the signal's reason when that is a TimeoutError. */
export function abortError(signal: AbortSignal, cause?: unknown): Error {
  const reason: unknown = signal.reason;
  const timedOut = typeof reason === "object" && reason !== null && (reason as { name?: unknown }).name === "TimeoutError";
  const message = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "The operation was aborted";
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = timedOut ? "TimeoutError" : "AbortError";
  return error;
}

function isAbortLike(error: unknown): boolean {
  const name = error instanceof Error ? error.name : undefined;
  return name === "AbortError" || name === "TimeoutError";
}
