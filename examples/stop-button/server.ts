/**
 * Stop-button web app: a page with a prompt box, Send, a streaming answer and
 * a Stop button, served by a plain node:http server that uses the Rein SDK.
 *
 *   npm run example:stop-button            # then open the printed URL
 *   PORT=8080 REIN_MODEL=./model.gguf npm run example:stop-button
 *
 * API:
 *   POST /api/completions {prompt}  -> NDJSON stream (start with requestId, deltas, done)
 *   POST /api/cancel {requestId}    -> {cancelled}; the stream then ends with stopReason "cancelled"
 *   GET  /api/registry              -> the worker's registry (client.inspect()): what runs now
 *   GET  /api/requests/<id>/outcome -> waits until that request ended, then says how
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@rein/sdk";
import { exampleModelPath } from "@rein/test-model";
import { OutcomeBook, readJson, streamCompletion } from "./completion-stream.ts";

const PORT = Number(process.env.PORT ?? 0);
// Several tabs generate at once: one sequence each, up to PARALLEL; more wait in the model's queue.
const PARALLEL = Number(process.env.PARALLEL ?? 4);
const MAX_TOKENS = Number(process.env.MAX_TOKENS ?? 4000);

const client = createClient();
const modelSrc = await exampleModelPath();
const modelId = await client.loadModel({ modelSrc, modelConfig: { parallel: PARALLEL } });
const outcomes = new OutcomeBook();
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

const staticFiles: Record<string, string> = {
  "/": "index.html",
  "/app.js": "app.js",
  "/style.css": "style.css",
};
const contentTypes: Record<string, string> = { html: "text/html", js: "text/javascript", css: "text/css" };

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  response.end(JSON.stringify(value));
}

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { pathname } = new URL(request.url ?? "/", "http://127.0.0.1");
  const file = staticFiles[pathname];
  if (request.method === "GET" && file) {
    const body = await readFile(new URL(`./public/${file}`, import.meta.url));
    response.writeHead(200, { "Content-Type": `${contentTypes[file.split(".").pop()!]}; charset=utf-8` });
    return void response.end(body);
  }
  if (request.method === "POST" && pathname === "/api/completions") {
    const { prompt } = await readJson(request);
    if (typeof prompt !== "string" || prompt.trim() === "") return sendJson(response, 400, { error: "prompt must be a non-empty string" });
    return streamCompletion({ client, modelId, prompt, maxTokens: MAX_TOKENS, response, outcomes });
  }
  if (request.method === "POST" && pathname === "/api/cancel") {
    const { requestId } = await readJson(request);
    if (typeof requestId !== "string" || !UUID_V4.test(requestId)) return sendJson(response, 400, { error: "requestId must be a UUIDv4" });
    // The only thing the page knows is the id: that is all cancel needs.
    return sendJson(response, 200, await client.cancel({ requestId }));
  }
  if (request.method === "GET" && pathname === "/api/registry") {
    const snapshot = await client.inspect();
    return sendJson(response, 200, { requests: snapshot.requests, queued: snapshot.queued, models: snapshot.models, counters: snapshot.counters });
  }
  const outcomeMatch = /^\/api\/requests\/([0-9a-f-]{36})\/outcome$/.exec(pathname);
  if (request.method === "GET" && outcomeMatch) {
    const outcome = outcomes.wait(outcomeMatch[1]!);
    return outcome ? sendJson(response, 200, await outcome) : sendJson(response, 404, { error: "unknown requestId" });
  }
  sendJson(response, 404, { error: `no route for ${request.method} ${pathname}` });
}

const server = createServer((request, response) => {
  route(request, response).catch((error: unknown) => {
    if (!response.headersSent) sendJson(response, 500, { error: String(error) });
    else response.destroy();
  });
});
server.listen(PORT, "127.0.0.1", () => {
  console.log(`model: ${modelSrc}`);
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

// Ctrl+C / SIGTERM: stop taking connections, cancel what runs, stop the worker.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void client.close().finally(() => process.exit(0));
  });
}
