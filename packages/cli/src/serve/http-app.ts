/**
 * The HTTP app of `rein serve` (Fastify): authentication, request ids, body
 * limits and errors in one place, then the routes. Nothing here listens;
 * start-serve.ts does.
 *
 * Order per request: CORS preflight (only with --cors-origin) -> API key
 * (401, before the body is even read) -> x-request-id (400 if malformed) ->
 * body parsing (413 over the limit, 400 malformed, 415 not JSON) -> route.
 */
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import type { Authenticator } from "./auth.ts";
import { registerCancelRoute } from "./cancel-route.ts";
import { registerDashboard } from "./dashboard/dashboard-routes.ts";
import { registerRegistryRoutes } from "./dashboard/registry-routes.ts";
import { registerChatCompletions } from "./openai/chat-completions.ts";
import { registerEmbeddings } from "./openai/embeddings.ts";
import { registerModels } from "./openai/models.ts";
import { HttpError, toHttpError } from "./openai/openai-errors.ts";
import type { ServeBackend } from "./serve-backend.ts";
import type { ServeContext } from "./serve-context.ts";

/** 8 MiB: twice the longest message content the protocol accepts (4,000,000 characters). */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

/** Routes anyone may fetch: the dashboard page and its script. Every other route, unknown ones included, needs a key. */
const PUBLIC_ROUTES = new Set(["/", "/dashboard.js"]);

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export interface HttpAppOptions {
  backend: ServeBackend;
  authenticator: Authenticator;
  /** Largest request body in bytes (default 8 MiB); larger ones get 413 without being read to the end. */
  bodyLimit?: number;
  /** An origin allowed to call the API from a browser; no CORS headers at all without it. */
  corsOrigin?: string;
}

/**
 * Builds the app with every route registered.
 *
 * @example
 * ```ts
 * const app = await createHttpApp({ backend, authenticator: createAuthenticator({ apiKeys: [key] }) });
 * await app.listen({ host: "127.0.0.1", port: 8080 });
 * ```
 */
export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Shutdown closes every connection, streaming ones included; each close cancels its request.
    forceCloseConnections: true,
    logger: false,
  });
  const context: ServeContext = { backend: options.backend };
  app.decorateRequest("caller", null as never);
  app.decorateRequest("reinRequestId", "");

  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (options.corsOrigin !== undefined && origin === options.corsOrigin) {
      reply.header("access-control-allow-origin", origin).header("vary", "Origin").header("access-control-expose-headers", "x-request-id");
      if (request.method === "OPTIONS") {
        return reply
          .header("access-control-allow-methods", "GET, POST")
          .header("access-control-allow-headers", "authorization, content-type, x-request-id")
          .status(204)
          .send();
      }
    }
    reply.header("x-request-id", randomUUID());
    // The page itself holds no data; everything it shows comes from /v1 with the key. Decided by the matched
    // route, not the raw URL, so no spelling of a path (encoded, odd case) can reach an API route without a key.
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? "")) return;
    const caller = options.authenticator.authenticate(request.headers.authorization);
    if (!caller) {
      reply.header("www-authenticate", "Bearer");
      throw new HttpError(401, { message: "a valid API key is required: send Authorization: Bearer <key>", type: "invalid_request_error", code: "invalid_api_key" });
    }
    request.caller = caller;
    const given = request.headers["x-request-id"];
    if (given !== undefined) {
      if (typeof given !== "string" || !UUID_V4.test(given)) {
        throw new HttpError(400, { message: "x-request-id must be a UUIDv4", type: "invalid_request_error", param: "x-request-id", code: "invalid_request_id" });
      }
      reply.header("x-request-id", given.toLowerCase());
    }
    request.reinRequestId = String(reply.getHeader("x-request-id"));
  });

  app.setErrorHandler((error, _request, reply) => {
    const response = toHttpError(error);
    return reply.status(response.status).send(response.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const response = new HttpError(404, { message: `no route ${request.method} ${request.url.split("?", 1)[0]}`, type: "invalid_request_error", code: "not_found" });
    return reply.status(404).send(response.body);
  });

  registerModels(app, context, Math.floor(Date.now() / 1000));
  registerChatCompletions(app, context);
  registerEmbeddings(app, context);
  registerCancelRoute(app, context);
  registerRegistryRoutes(app, context);
  registerDashboard(app, { keyRequired: options.authenticator.required });
  await app.ready();
  return app;
}
