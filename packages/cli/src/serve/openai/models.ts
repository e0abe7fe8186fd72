/** GET /v1/models and /v1/models/{model}: the models the operator loaded at start, by their served names. */
import type { FastifyInstance } from "fastify";
import { servedModel, type ServeContext } from "../serve-context.ts";

/**
 * Registers the routes on `app`; `startedAt` (epoch seconds) is every model's `created`.
 *
 * @example
 * ```ts
 * registerModels(app, context, Math.floor(Date.now() / 1000));
 * ```
 */
export function registerModels(app: FastifyInstance, context: ServeContext, startedAt: number): void {
  const describe = (name: string) => ({ id: name, object: "model", created: startedAt, owned_by: "rein" });
  app.get("/v1/models", async () => ({ object: "list", data: [...context.backend.models.keys()].map(describe) }));
  app.get<{ Params: { model: string } }>("/v1/models/:model", async (request) => {
    servedModel(context, request.params.model);
    return describe(request.params.model);
  });
}
