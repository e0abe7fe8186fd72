/**
 * The dashboard's data: GET /v1/rein/registry (the caller's view of the
 * worker's registry, its models and memory) and POST
 * /v1/rein/models/{model}/cancel ("cancel all on this model", scoped to the
 * caller: a key stops only what it started, the admin key everything).
 */
import type { FastifyInstance } from "fastify";
import type { RequestSnapshot } from "@rein/sdk";
import { servedModel, type ServeContext } from "../serve-context.ts";

export interface RegistryView {
  requests: {
    requestId: string;
    kind: RequestSnapshot["kind"];
    /** The served name of the request's model, else its modelId. */
    model: string | null;
    state: RequestSnapshot["state"];
    /** Milliseconds since the request began (queue wait included). */
    ageMs: number;
    /** 1 = next to run on its model; null when not queued. */
    queuePosition: number | null;
    cancelReason: RequestSnapshot["cancelReason"];
  }[];
  models: { name: string; modelId: string; references: number; parallel: number; running: number; queued: number }[];
  memory: { rss: number; heapUsed: number };
  pid: number;
  /** The worker's work counters (e.g. `completion.tokensGenerated`): whole-worker numbers, so for the admin only. */
  metrics: Record<string, number> | null;
}

/**
 * Registers the routes on `app`.
 *
 * @example
 * ```ts
 * registerRegistryRoutes(app, context);
 * ```
 */
export function registerRegistryRoutes(app: FastifyInstance, context: ServeContext): void {
  app.get("/v1/rein/registry", async (request): Promise<RegistryView> => {
    const snapshot = await context.backend.clientFor(request.caller).inspect();
    const names = new Map([...context.backend.models].map(([name, model]) => [model.modelId, name]));
    // The caller's client is scoped: the registry already left out every request of another key.
    const visible = snapshot.requests;
    return {
      requests: visible.map((entry) => ({
        requestId: entry.requestId,
        kind: entry.kind,
        model: entry.modelId === null ? null : (names.get(entry.modelId) ?? entry.modelId),
        state: entry.state,
        ageMs: entry.ageMs,
        queuePosition: entry.queuePosition,
        cancelReason: entry.cancelReason,
      })),
      models: snapshot.models
        .filter((model) => names.has(model.modelId))
        .map((model) => ({
          name: names.get(model.modelId)!,
          modelId: model.modelId,
          references: model.references,
          parallel: model.parallel,
          running: visible.filter((entry) => entry.modelId === model.modelId && entry.state === "running").length,
          queued: visible.filter((entry) => entry.modelId === model.modelId && entry.state === "queued").length,
        })),
      memory: snapshot.memory,
      pid: snapshot.pid,
      metrics: request.caller.admin ? snapshot.metrics : null,
    };
  });

  app.post<{ Params: { model: string } }>("/v1/rein/models/:model/cancel", async (request) => {
    const { modelId } = servedModel(context, request.params.model);
    // Scoped by the registry: a key stops only what it started, the admin key everything.
    return { cancelled: (await context.backend.clientFor(request.caller).cancel({ modelId })).cancelled };
  });
}
