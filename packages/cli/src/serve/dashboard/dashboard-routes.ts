/** GET / (the dashboard page) and GET /dashboard.js (its script); both public, they hold no data. */
import type { FastifyInstance } from "fastify";
import { dashboardPage } from "./dashboard-page.ts";
import { DASHBOARD_SCRIPT } from "./dashboard-script.ts";

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * Registers the page routes on `app`.
 *
 * @example
 * ```ts
 * registerDashboard(app, { keyRequired: true }); // the page asks for the key
 * ```
 */
export function registerDashboard(app: FastifyInstance, options: { keyRequired: boolean }): void {
  const page = dashboardPage(options);
  app.get("/", async (_request, reply) => reply.headers(SECURITY_HEADERS).type("text/html; charset=utf-8").send(page));
  app.get("/dashboard.js", async (_request, reply) => reply.headers(SECURITY_HEADERS).type("text/javascript; charset=utf-8").send(DASHBOARD_SCRIPT));
}
