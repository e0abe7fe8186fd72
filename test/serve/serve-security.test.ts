import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reinBin } from "../cli/cli-process.ts";
import { chatBody, readEvents, startServeProcess, type ServeProcess } from "./serve-process.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ALICE = "alice-key-0123";
const BOB = "bob-key-4567";
const ADMIN = "root-key-89ab";

let server: ServeProcess;

beforeAll(async () => {
  server = await startServeProcess(["--model", "tiny", "--api-key", ALICE, "--api-key", BOB, "--admin-key", ADMIN, "--body-limit", "4096"]);
});
afterAll(async () => {
  if (server) expect(await server.stop()).toEqual({ code: 0, signal: null });
});

const ROUTES: { method: string; path: string; body?: unknown }[] = [
  { method: "GET", path: "/v1/models" },
  { method: "GET", path: "/v1/models/tiny" },
  { method: "POST", path: "/v1/chat/completions", body: chatBody({ max_tokens: 5 }) },
  { method: "POST", path: "/v1/chat/completions", body: chatBody({ max_tokens: 5, stream: true }) },
  { method: "POST", path: "/v1/embeddings", body: { model: "tiny", input: "x" } },
  { method: "POST", path: `/v1/requests/${crypto.randomUUID()}/cancel` },
  { method: "GET", path: "/v1/rein/registry" },
  { method: "POST", path: "/v1/rein/models/tiny/cancel" },
  { method: "POST", path: "/v1/unknown" },
];

async function expectEmptyRegistry(): Promise<void> {
  const view = await server.waitForRegistry((registry) => registry.requests.length === 0, "an empty registry", ADMIN);
  expect(view.requests).toEqual([]);
}

describe("rein serve: keys", () => {
  it("answers every /v1 route without a key or with a wrong key 401 in OpenAI's shape, and runs nothing", async () => {
    const before = (await server.registry(ADMIN)).metrics!;
    for (const route of ROUTES) {
      for (const key of [undefined, "wrong-key", `${ALICE}x`, ALICE.slice(0, -1)]) {
        const init = { method: route.method, key, ...(route.body ? { body: JSON.stringify(route.body), headers: { "content-type": "application/json" } } : {}) };
        const response = await server.fetch(route.path, init);
        expect(response.status, `${route.method} ${route.path} key=${key}`).toBe(401);
        expect(response.headers.get("www-authenticate")).toBe("Bearer");
        expect(response.headers.get("x-request-id")).toMatch(UUID_V4);
        expect(await response.json()).toEqual({ error: { message: expect.stringMatching(/API key/), type: "invalid_request_error", param: null, code: "invalid_api_key", rein_code: null } });
      }
    }
    const after = await server.registry(ADMIN);
    expect(after.requests).toEqual([]);
    // Nothing reached the model: no completion or embedding ran.
    expect(after.metrics!["completion.started"] ?? 0).toBe(before["completion.started"] ?? 0);
    expect(after.metrics!["embed.textsEmbedded"] ?? 0).toBe(before["embed.textsEmbedded"] ?? 0);
    // The server still serves.
    expect((await server.fetch("/v1/models", { key: BOB })).status).toBe(200);
  });

  it("no spelling of an API path gets past the key check (encoded, odd case, dot segments)", async () => {
    for (const path of ["/%76%31/models", "/v1/%6dodels", "/V1/models", "/v1//models", "/v1/./models", "/x/../v1/models", "/v1/models/", "/v1/rein/registry?x=1"]) {
      const response = await server.fetch(path);
      expect([401, 404], path).toContain(response.status);
      expect(await response.text(), path).not.toContain('"owned_by"');
    }
  });

  it("serves the dashboard page without a key (it holds no data) and asks for one", async () => {
    const page = await server.fetch("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('data-key-required="true"');
  });
});

describe("rein serve: bodies and request ids", () => {
  it("refuses an oversized body 413, malformed JSON 400, a non-JSON body 415, and keeps serving", async () => {
    const big = await server.post("/v1/chat/completions", chatBody({ messages: [{ role: "user", content: "x".repeat(10_000) }] }), { key: ALICE });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toMatchObject({ type: "invalid_request_error", code: "body_too_large" });
    const malformed = await server.fetch("/v1/chat/completions", { method: "POST", key: ALICE, body: '{"model": "tiny", "messages": [', headers: { "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error).toMatchObject({ code: "invalid_json", rein_code: null });
    const form = await server.fetch("/v1/chat/completions", { method: "POST", key: ALICE, body: "model=tiny", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    const invalid = await server.post("/v1/chat/completions", chatBody({ temperature: -1 }), { key: ALICE });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error).toMatchObject({ param: "temperature", code: "invalid_value", rein_code: 50001 });
    const wrongShape = await server.post("/v1/chat/completions", { model: "tiny", messages: [{ role: "robot", content: "hi" }] }, { key: ALICE });
    expect(wrongShape.status).toBe(400);
    expect((await wrongShape.json()).error.param).toBe("messages.0.role");
    const streamInvalid = await server.post("/v1/chat/completions", chatBody({ stream: true, max_tokens: 0 }), { key: ALICE });
    expect(streamInvalid.status).toBe(400);
    expect((await streamInvalid.json()).error).toMatchObject({ param: "max_tokens", rein_code: 50001 });
    expect((await server.post("/v1/chat/completions", chatBody({ max_tokens: 3 }), { key: ALICE })).status).toBe(200);
    await expectEmptyRegistry();
  });

  it("answers an unknown model 404 in OpenAI's shape; loadModel is not a route", async () => {
    const unknown = await server.post("/v1/chat/completions", chatBody({ model: "/etc/passwd" }), { key: ALICE });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatchObject({ param: "model", code: "model_not_found" });
    expect((await server.post("/v1/embeddings", { model: "nope", input: "x" }, { key: ALICE })).status).toBe(404);
    expect((await server.fetch("/v1/models/nope", { key: ALICE })).status).toBe(404);
    for (const path of ["/v1/models", "/v1/rein/models", "/v1/loadModel"]) {
      expect((await server.post(path, { modelSrc: "/etc/passwd" }, { key: ADMIN })).status).toBe(404);
    }
    const models = await (await server.fetch("/v1/models", { key: ALICE })).json();
    expect(models.data.map((model: { id: string }) => model.id)).toEqual(["tiny"]);
  });

  it("uses the client's UUIDv4 x-request-id as the requestId and refuses a malformed one", async () => {
    const requestId = crypto.randomUUID();
    const response = await server.post("/v1/chat/completions", chatBody({ max_tokens: 3 }), { key: ALICE, headers: { "x-request-id": requestId } });
    expect(response.headers.get("x-request-id")).toBe(requestId);
    expect((await response.json()).id).toBe(`chatcmpl-${requestId}`);
    const bad = await server.post("/v1/chat/completions", chatBody({ max_tokens: 3 }), { key: ALICE, headers: { "x-request-id": "not-a-uuid" } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ param: "x-request-id", code: "invalid_request_id" });
    expect((await server.post(`/v1/requests/not-a-uuid/cancel`, {}, { key: ALICE })).status).toBe(400);
  });

  it("sends no CORS headers by default", async () => {
    const response = await server.fetch("/v1/models", { key: ALICE, headers: { origin: "https://evil.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await server.fetch("/v1/chat/completions", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("rein serve: one key cannot touch another's requests", () => {
  it("another key's requestId: invisible, not cancellable (0); the owner cancels it once, idempotently", async () => {
    const requestId = crypto.randomUUID();
    const stream = await server.post("/v1/chat/completions", chatBody({ stream: true, max_tokens: 100_000 }), { key: ALICE, headers: { "x-request-id": requestId } });
    expect(stream.status).toBe(200);
    const { reader, events } = await readEvents(stream, (received) => received.length >= 3);
    expect(events.length).toBeGreaterThanOrEqual(3);

    expect((await server.registry(BOB)).requests).toEqual([]);
    expect((await server.registry(ALICE)).requests.map((request) => request.requestId)).toEqual([requestId]);
    expect((await server.registry(ADMIN)).requests.map((request) => request.requestId)).toEqual([requestId]);
    for (const path of [`/v1/requests/${requestId}/cancel`, "/v1/rein/models/tiny/cancel"]) {
      const refused = await server.post(path, {}, { key: BOB });
      expect(await refused.json()).toEqual({ cancelled: 0 });
    }
    // Bob reusing Alice's running id is a conflict, not a way in.
    const reuse = await server.post("/v1/chat/completions", chatBody({ max_tokens: 3 }), { key: BOB, headers: { "x-request-id": requestId } });
    expect(reuse.status).toBe(409);
    expect((await server.registry(ADMIN)).requests.map((request) => request.state)).toEqual(["running"]);

    expect(await (await server.post(`/v1/requests/${requestId}/cancel`, {}, { key: ALICE })).json()).toEqual({ cancelled: 1 });
    // The stream ends with the cancel as an error event in OpenAI's shape, without [DONE].
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += value;
    }
    expect(rest).not.toContain("[DONE]");
    const last = JSON.parse(rest.trim().split("\n\n").at(-1)!.slice("data: ".length));
    expect(last.error).toMatchObject({ type: "request_cancelled", code: "request_cancelled", rein_code: 52419 });
    expect(await (await server.post(`/v1/requests/${requestId}/cancel`, {}, { key: ALICE })).json()).toEqual({ cancelled: 0 });
    await expectEmptyRegistry();
  });

  it("the admin key cancels every request on a model; a key's 'cancel all' stops only its own", async () => {
    const start = (key: string) => server.post("/v1/chat/completions", chatBody({ stream: true, max_tokens: 100_000 }), { key });
    const alice = await start(ALICE);
    const aliceEvents = await readEvents(alice, (received) => received.length >= 2);
    const bob = await start(BOB); // queued behind Alice (parallel 1)
    await server.waitForRegistry((view) => view.requests.length === 2, "both requests", ADMIN);
    expect(await (await server.post("/v1/rein/models/tiny/cancel", {}, { key: BOB })).json()).toEqual({ cancelled: 1 });
    expect((await server.registry(ADMIN)).requests.map((request) => request.requestId)).toEqual([alice.headers.get("x-request-id")]);
    expect(await (await server.post("/v1/rein/models/tiny/cancel", {}, { key: ADMIN })).json()).toEqual({ cancelled: 1 });
    expect(await bob.text()).toContain('"code":"request_cancelled"');
    let aliceRest = "";
    for (let chunk = await aliceEvents.reader.read(); !chunk.done; chunk = await aliceEvents.reader.read()) aliceRest += chunk.value;
    expect(aliceRest).toContain('"code":"request_cancelled"');
    await expectEmptyRegistry();
  });
});

describe("rein serve: binding", () => {
  it("refuses a non-loopback --host without an API key, before loading anything", () => {
    const result = spawnSync(process.execPath, [reinBin, "serve", "--host", "0.0.0.0", "--port", "0", "--model", "tiny"], {
      encoding: "utf8",
      env: { ...process.env, REIN_API_KEY: "", REIN_ADMIN_KEY: "" },
      timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without an API key/);
    expect(result.stdout).not.toContain("listening");
  });
});
