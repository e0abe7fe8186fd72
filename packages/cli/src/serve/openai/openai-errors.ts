/**
 * Errors in OpenAI's shape, `{ error: { message, type, param, code } }`, plus
 * `rein_code`: the numeric code of Rein's error table (null for errors of the
 * HTTP layer itself, such as a missing key). Clients written for OpenAI read
 * the first four fields; Rein-aware clients switch on `rein_code`.
 */
import { ErrorCode, InvalidInputError, ReinError } from "@rein/sdk";

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; rein_code: number | null };
}

/** An HTTP error response the routes throw; the app's error handler sends it. */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;
  readonly body: OpenAiErrorBody;
  constructor(status: number, fields: { message: string; type: string; param?: string | null; code?: string | null; reinCode?: number | null }) {
    super(fields.message);
    this.status = status;
    this.body = { error: { message: fields.message, type: fields.type, param: fields.param ?? null, code: fields.code ?? null, rein_code: fields.reinCode ?? null } };
  }
}

/** How each Rein code answers over HTTP: status, OpenAI `type`, OpenAI-style `code`. */
const REIN_CODE_RESPONSES: Record<number, { status: number; type: string; code: string }> = {
  [ErrorCode.InvalidInput]: { status: 400, type: "invalid_request_error", code: "invalid_value" },
  [ErrorCode.ContextOverflow]: { status: 400, type: "invalid_request_error", code: "context_length_exceeded" },
  [ErrorCode.ModelNotFound]: { status: 404, type: "invalid_request_error", code: "model_not_found" },
  [ErrorCode.ModelNotLoaded]: { status: 404, type: "invalid_request_error", code: "model_not_found" },
  [ErrorCode.RequestNotFound]: { status: 404, type: "invalid_request_error", code: "request_not_found" },
  [ErrorCode.RequestIdConflict]: { status: 409, type: "invalid_request_error", code: "request_id_conflict" },
  // Cancelled by someone else (the cancel route, the dashboard): the client is still there to be told.
  [ErrorCode.InferenceCancelled]: { status: 409, type: "request_cancelled", code: "request_cancelled" },
  [ErrorCode.RequestRejectedByPolicy]: { status: 429, type: "rate_limit_error", code: "rejected_by_policy" },
  [ErrorCode.RequestTimeout]: { status: 504, type: "timeout_error", code: "request_timeout" },
  [ErrorCode.WorkerCrashed]: { status: 503, type: "server_error", code: "worker_unavailable" },
  [ErrorCode.WorkerShutdown]: { status: 503, type: "server_error", code: "server_shutting_down" },
  [ErrorCode.WorkerStartFailed]: { status: 503, type: "server_error", code: "worker_unavailable" },
  [ErrorCode.PermissionDenied]: { status: 403, type: "permission_error", code: "permission_denied" },
};

/**
 * The HTTP response for anything a route threw. `toParam` maps a Rein field
 * name (`history.0.content`) to the OpenAI parameter it came from (`messages.0.content`).
 *
 * @example
 * ```ts
 * const { status, body } = toHttpError(new InvalidInputError({ field: "maxTokens", reason: "must be at least 1" }), openAiParam);
 * // status 400, body.error.param "max_tokens", body.error.rein_code 50001
 * ```
 */
export function toHttpError(error: unknown, toParam: (field: string) => string = (field) => field): HttpError {
  if (error instanceof HttpError) return error;
  if (ReinError.isInstance(error)) {
    const response = REIN_CODE_RESPONSES[error.code] ?? { status: 500, type: "server_error", code: "internal_error" };
    const param = InvalidInputError.isInstance(error) && error.field !== "" ? toParam(error.field) : null;
    return new HttpError(response.status, { message: firstLine(error.message), type: response.type, param, code: response.code, reinCode: error.code });
  }
  const fastify = fastifyError(error);
  if (fastify) return fastify;
  return new HttpError(500, { message: "internal server error", type: "server_error", code: "internal_error", reinCode: ErrorCode.Generic });
}

/** Fastify's own refusals (body too large, malformed JSON, wrong content type) keep their status. */
function fastifyError(error: unknown): HttpError | undefined {
  const candidate = error as { statusCode?: unknown; code?: unknown; message?: unknown } | null;
  if (typeof candidate?.statusCode !== "number" || candidate.statusCode < 400 || candidate.statusCode >= 500) return undefined;
  const code = typeof candidate.code === "string" ? candidate.code : null;
  const known: Record<string, { message: string; code: string }> = {
    FST_ERR_CTP_BODY_TOO_LARGE: { message: "request body is larger than the server's limit", code: "body_too_large" },
    FST_ERR_CTP_INVALID_MEDIA_TYPE: { message: "send the body as application/json", code: "unsupported_media_type" },
    FST_ERR_CTP_EMPTY_JSON_BODY: { message: "the JSON body is empty", code: "invalid_json" },
    FST_ERR_CTP_INVALID_JSON_BODY: { message: "the body is not valid JSON", code: "invalid_json" },
  };
  const description = (code && known[code]) || (candidate.statusCode === 400 ? { message: "the body is not valid JSON", code: "invalid_json" } : undefined);
  return new HttpError(candidate.statusCode, {
    message: description?.message ?? String(candidate.message),
    type: "invalid_request_error",
    code: description?.code ?? code,
  });
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!.trim();
}
