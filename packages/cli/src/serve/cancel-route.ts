/**
 * POST /v1/requests/{requestId}/cancel -> `{ cancelled: n }`. Idempotent: a
 * finished, unknown or repeated id answers `{ cancelled: 0 }`. A key cancels
 * only its own requests; another key's id answers 0 as an unknown one does,
 * so ids of others cannot even be probed. A malformed id is a 400.
 */
import type { FastifyInstance } from "fastify";
import { InvalidInputError } from "@rein/sdk";
import { toHttpError } from "./openai/openai-errors.ts";
import type { ServeContext } from "./serve-context.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * Registers the route on `app`.
 *
 * @example
 * ```ts
 * registerCancelRoute(app, context); // curl -X POST -H "authorization: Bearer $KEY" localhost:8080/v1/requests/$ID/cancel
 * ```
 */
export function registerCancelRoute(app: FastifyInstance, context: ServeContext): void {
  app.post<{ Params: { requestId: string } }>("/v1/requests/:requestId/cancel", async (request) => {
    const { requestId } = request.params;
    if (!UUID_V4.test(requestId)) throw toHttpError(new InvalidInputError({ field: "requestId", reason: "must be a UUIDv4 request id", operation: "cancel" }));
    // Scoped by the registry: another key's id counts 0, exactly like an unknown one.
    const result = await context.backend.clientFor(request.caller).cancel({ requestId });
    return { cancelled: result.cancelled };
  });
}
