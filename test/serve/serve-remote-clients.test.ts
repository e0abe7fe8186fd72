import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, InferenceCancelledError, PermissionDeniedError, RequestRejectedByPolicyError, type ReinClient } from "@rein/sdk";
import { firstDelta } from "../helpers/run-events.ts";
import { history } from "../helpers/rein-test-client.ts";
import { chatBody, readEvents, startServeProcess, type ServeProcess } from "./serve-process.ts";

const ALICE = "alice-key-0123";
const BOB = "bob-key-4567";
const ADMIN = "root-key-89ab";

let server: ServeProcess;
let wsUrl: string;
const clients: ReinClient[] = [];
const client = (apiKey: string) => {
  const created = createClient({ url: wsUrl, apiKey });
  clients.push(created);
  return created;
};

beforeAll(async () => {
  server = await startServeProcess(["--model", "tiny", "--parallel", "2", "--api-key", ALICE, "--api-key", BOB, "--admin-key", ADMIN, "--max-requests-per-key", "2"]);
  wsUrl = `${server.url.replace(/^http/, "ws")}/rein`;
});
afterAll(async () => {
  await Promise.all(clients.map((each) => each.close()));
  if (server) expect(await server.stop()).toEqual({ code: 0, signal: null });
});

describe("rein serve: remote Rein clients on /rein", () => {
  it("a remote client loads the served model by name, streams and cancels; the HTTP dashboard of the same key sees its request", async () => {
    const alice = client(ALICE);
    const modelId = await alice.loadModel({ modelSrc: "tiny" });
    const run = alice.completion({ modelId, history: history(), maxTokens: 100_000 });
    await firstDelta(run);
    const view = await server.registry(ALICE);
    expect(view.requests.map((request) => request.requestId)).toContain(run.requestId);
    expect((await server.registry(BOB)).requests).toEqual([]);
    expect(await alice.cancel({ requestId: run.requestId })).toEqual({ cancelled: 1 });
    await expect(run.text).rejects.toBeInstanceOf(InferenceCancelledError);
    expect(await alice.unloadModel({ modelId })).toMatchObject({ freed: false });
  });

  it("one key's HTTP request cannot be cancelled by another key's remote client; its own remote client can", async () => {
    const requestId = crypto.randomUUID();
    const response = await server.post("/v1/chat/completions", chatBody({ stream: true, max_tokens: 100_000 }), { key: ALICE, headers: { "x-request-id": requestId } });
    const { reader } = await readEvents(response, (events) => events.length >= 2);
    try {
      const modelId = (await server.registry(ADMIN)).models[0]!.modelId;
      // Fresh clients: they never sent anything, yet reach what their key runs over HTTP.
      expect(await client(BOB).cancel({ requestId })).toEqual({ cancelled: 0 });
      expect(await client(BOB).cancel({ modelId })).toEqual({ cancelled: 0 });
      expect(await client(ALICE).cancel({ requestId })).toEqual({ cancelled: 1 });
    } finally {
      await reader.cancel();
    }
    await server.waitForRegistry((view) => view.requests.length === 0, "an empty registry", ADMIN);
  });

  it("the per-key limit counts HTTP and WebSocket requests together; a wrong key is refused", async () => {
    const bob = client(BOB);
    const modelId = (await server.registry(ADMIN)).models[0]!.modelId;
    const response = await server.post("/v1/chat/completions", chatBody({ stream: true, max_tokens: 100_000 }), { key: BOB });
    const { reader } = await readEvents(response, (events) => events.length >= 2);
    const run = bob.completion({ modelId, history: history(), maxTokens: 100_000 });
    try {
      await firstDelta(run);
      const third = await bob.completion({ modelId, history: history(), maxTokens: 3 }).text.catch((error: unknown) => error);
      expect(third).toBeInstanceOf(RequestRejectedByPolicyError);
      expect((third as RequestRejectedByPolicyError).rule).toBe("perKeyLimit");
    } finally {
      await bob.cancel({ requestId: run.requestId });
      await reader.cancel();
    }
    await expect(run.text).rejects.toBeInstanceOf(InferenceCancelledError);
    await server.waitForRegistry((view) => view.requests.length === 0, "an empty registry", ADMIN);
    await expect(client("not-a-key").inspect()).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});
