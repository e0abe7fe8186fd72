import type { FastifyReply, FastifyRequest } from "fastify";
import type { RequestKind } from "@rein/sdk";
import { connectionAbort, type ConnectionAbort } from "./connection-abort.ts";
import { HttpError } from "./openai/openai-errors.ts";
import type { Caller, ServeBackend, ServedModel } from "./serve-backend.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** Who sent it (set by the auth hook before anything else runs). */
    caller: Caller;
    /** The Rein requestId of this HTTP request: the client's `x-request-id` or a fresh UUIDv4. */
    reinRequestId: string;
  }
}

/** What every route shares. */
export interface ServeContext {
  backend: ServeBackend;
}

/** The served model called `name`, or a 404 in OpenAI's shape. */
export function servedModel(context: ServeContext, name: string): ServedModel {
  const model = context.backend.models.get(name);
  if (!model) {
    throw new HttpError(404, { message: `The model "${name}" is not served here (GET /v1/models lists the served ones)`, type: "invalid_request_error", param: "model", code: "model_not_found" });
  }
  return model;
}

/**
 * Everything a model route does around its SDK call: the caller's scoped
 * client, and a cancel (reason "clientDisconnected") when the connection
 * drops. A requestId already in use is refused by the registry itself
 * (`RequestIdConflictError`, 409).
 *
 * @example
 * ```ts
 * const work = startOwnedRequest(context, request, reply, { kind: "completion", modelName });
 * const run = work.client.completion({ ...params, requestId: work.requestId, signal: work.abort.signal });
 * work.settleWith(run.final);
 * ```
 */
export function startOwnedRequest(context: ServeContext, request: FastifyRequest, reply: FastifyReply, fields: { kind: RequestKind; modelName: string }) {
  const requestId = request.reinRequestId;
  const client = context.backend.clientFor(request.caller);
  const abort: ConnectionAbort = connectionAbort(request.raw, reply.raw, () => void client.cancel({ requestId }, "clientDisconnected").catch(() => undefined));
  return {
    requestId,
    client,
    abort,
    /** Drops the disconnect listener once `settled` settles, whichever way. */
    settleWith(settled: Promise<unknown>): void {
      const done = () => abort.dispose();
      settled.then(done, done);
    },
  };
}
