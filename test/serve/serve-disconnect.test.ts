import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody, readEvents, startServeProcess, type ServeProcess } from "./serve-process.ts";

const KEY = "client-key-1";
const ADMIN = "admin-key-1";
/** Far more than a test waits for: a run that stops early was stopped, not finished. */
const LONG = 100_000;

let server: ServeProcess;

beforeAll(async () => {
  // parallel 1: a second completion waits in the model's queue.
  server = await startServeProcess(["--model", "tiny", "--parallel", "1", "--api-key", KEY, "--admin-key", ADMIN]);
});
afterAll(async () => {
  if (server) expect(await server.stop()).toEqual({ code: 0, signal: null });
});

async function metrics(): Promise<{ started: number; tokens: number }> {
  const view = await server.registry(ADMIN);
  return { started: view.metrics!["completion.started"] ?? 0, tokens: view.metrics!["completion.tokensGenerated"] ?? 0 };
}

const running = (requestId: string | null) => (view: Awaited<ReturnType<ServeProcess["registry"]>>) =>
  view.requests.some((request) => request.requestId === requestId && request.state === "running");
const gone = (requestId: string | null) => (view: Awaited<ReturnType<ServeProcess["registry"]>>) => !view.requests.some((request) => request.requestId === requestId);

describe("rein serve: a client that disconnects cancels its request", () => {
  it("a non-streaming request, while it runs: the worker stops and the registry lets go", async () => {
    const before = await metrics();
    const requestId = crypto.randomUUID();
    const controller = new AbortController();
    const pending = server.post("/v1/chat/completions", chatBody({ max_tokens: LONG }), { key: KEY, signal: controller.signal, headers: { "x-request-id": requestId } });
    await server.waitForRegistry(running(requestId), "the request to run", ADMIN);
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    await server.waitForRegistry(gone(requestId), "the request to end", ADMIN);
    const after = await metrics();
    expect(after.started - before.started).toBe(1);
    expect(after.tokens - before.tokens).toBeLessThan(LONG);
  });

  it("queued requests, streaming or not: they leave the queue and never touch the model", async () => {
    const before = await metrics();
    const first = await server.post("/v1/chat/completions", chatBody({ stream: true, max_tokens: LONG }), { key: KEY });
    const firstId = first.headers.get("x-request-id");
    const firstEvents = await readEvents(first, (events) => events.length >= 2);
    const queuedIds = [crypto.randomUUID(), crypto.randomUUID()];
    const controllers = [new AbortController(), new AbortController()];
    const waiting = [
      server.post("/v1/chat/completions", chatBody({ max_tokens: LONG }), { key: KEY, signal: controllers[0]!.signal, headers: { "x-request-id": queuedIds[0]! } }),
      server.post("/v1/chat/completions", chatBody({ stream: true, max_tokens: LONG }), { key: KEY, signal: controllers[1]!.signal, headers: { "x-request-id": queuedIds[1]! } }),
    ];
    const queued = await server.waitForRegistry((view) => view.requests.filter((request) => request.state === "queued").length === 2, "two queued requests", ADMIN);
    expect(queued.requests.filter((request) => request.state === "queued").map((request) => request.queuePosition)).toEqual([1, 2]);
    for (const controller of controllers) controller.abort();
    await Promise.allSettled(waiting);
    await server.waitForRegistry((view) => queuedIds.every((id) => gone(id)(view)), "the queued requests to leave", ADMIN);
    // The first one still runs: the queue emptied without it.
    expect(running(firstId)(await server.registry(ADMIN))).toBe(true);
    expect(await (await server.post(`/v1/requests/${firstId}/cancel`, {}, { key: KEY })).json()).toEqual({ cancelled: 1 });
    await firstEvents.reader.cancel();
    await server.waitForRegistry((view) => view.requests.length === 0, "an empty registry", ADMIN);
    expect((await metrics()).started - before.started).toBe(1);
  });

  it("curl --max-time 1 on a long stream: curl gives up, the request ends cancelled", async () => {
    const before = await metrics();
    const requestId = crypto.randomUUID();
    const curl = new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        "curl",
        ["-sS", "-N", "--max-time", "1", "-H", `authorization: Bearer ${KEY}`, "-H", "content-type: application/json", "-H", `x-request-id: ${requestId}`, "-d", JSON.stringify(chatBody({ stream: true, max_tokens: LONG })), `${server.url}/v1/chat/completions`],
        { maxBuffer: 64 * 1024 * 1024 },
        (error, stdout) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout }),
      );
    });
    const result = await curl;
    expect(result.code).toBe(28); // curl: operation timed out
    expect(result.stdout).toContain(`chatcmpl-${requestId}`);
    expect(result.stdout).not.toContain("[DONE]");
    await server.waitForRegistry(gone(requestId), "the request to end", ADMIN);
    const after = await metrics();
    expect(after.started - before.started).toBe(1);
    expect(after.tokens - before.tokens).toBeLessThan(LONG);
  });
});
