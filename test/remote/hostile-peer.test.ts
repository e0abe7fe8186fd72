import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import RPC from "bare-rpc";
import WebSocket, { createWebSocketStream } from "ws";
import { createClient, InvalidInputError, PermissionDeniedError, RequestRejectedByPolicyError, type ReinClient } from "@rein/sdk";
import { Command, decodeJson, deserializeError, encodeJson, PROTOCOL_VERSION, type CallReply } from "@rein/protocol";
import { history, tinyModel } from "../helpers/rein-test-client.ts";
import { firstDelta } from "../helpers/run-events.ts";
import { startHostProcess, type HostProcess } from "./host-process.ts";

const keys = { "key-mallory": "mallory", "key-admin": "" };

/** A bare-rpc peer on a raw WebSocket: it can send what the SDK never would. */
async function rawPeer(url: string, headers: Record<string, string> = { authorization: "Bearer key-mallory" }) {
  const socket = new WebSocket(url, { headers });
  await once(socket, "open");
  const stream = createWebSocketStream(socket);
  stream.on("error", () => undefined);
  const rpc = new RPC(stream as unknown as ConstructorParameters<typeof RPC>[0], () => undefined);
  const send = async (command: number, payload: unknown) => {
    const request = rpc.request(command);
    request.send(encodeJson(payload));
    const reply = decodeJson((await request.reply()) as Buffer) as CallReply;
    if (reply.ok) return reply.value;
    throw deserializeError(reply.error);
  };
  return { socket, send };
}

describe("a hostile peer on the WebSocket endpoint", () => {
  let host: HostProcess;
  let admin: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    host = await startHostProcess({ keys, models: [{ name: "tiny", modelSrc: await tinyModel(), modelConfig: { parallel: 2 } }], maxRequestsPerOwner: 2 });
    modelId = host.models.tiny!;
    admin = createClient({ url: host.url, apiKey: "key-admin" });
  });
  afterAll(async () => {
    await admin?.close();
    await host?.stop();
  });

  it("cannot configure the worker, shut it down or hand it op modules; the server keeps serving", async () => {
    const peer = await rawPeer(host.url);
    const refused = await peer.send(Command.handshake, { protocolVersion: PROTOCOL_VERSION, config: { opModules: ["/tmp/evil.mjs"] } }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as InvalidInputError).field).toBe("config.opModules");
    await peer.send(Command.handshake, { protocolVersion: PROTOCOL_VERSION });
    await expect(peer.send(Command.shutdown, {})).rejects.toBeInstanceOf(PermissionDeniedError);
    peer.socket.terminate();
    expect(await admin.completion({ modelId, history: history(), maxTokens: 3 }).text).toEqual(expect.any(String));
  });

  it("bytes that are not the protocol close that connection only; nothing is left in the registry", async () => {
    const peer = await rawPeer(host.url);
    const closed = once(peer.socket, "close");
    peer.socket.send(Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8]));
    await closed;
    expect((await admin.inspect()).requests).toEqual([]);
    expect(await admin.completion({ modelId, history: history(), maxTokens: 3 }).text).toEqual(expect.any(String));
  });

  it("cannot hold more requests in flight than the server allows per key, over all its connections", async () => {
    const first = createClient({ url: host.url, apiKey: "key-mallory" });
    const second = createClient({ url: host.url, apiKey: "key-mallory" });
    try {
      const runs = [first.completion({ modelId, history: history(), maxTokens: 100_000 }), second.completion({ modelId, history: history(), maxTokens: 100_000 })];
      await Promise.all(runs.map((run) => firstDelta(run)));
      const third = await first.completion({ modelId, history: history(), maxTokens: 5 }).text.catch((error: unknown) => error);
      expect(third).toBeInstanceOf(RequestRejectedByPolicyError);
      expect((third as RequestRejectedByPolicyError).rule).toBe("perKeyLimit");
      // The admin key is not counted (its request queues for a sequence instead); the quota frees up as mallory's runs end.
      const adminRun = admin.completion({ modelId, history: history(), maxTokens: 3 });
      await first.cancel({ requestId: runs[0]!.requestId });
      await expect(runs[0]!.text).rejects.toBeInstanceOf(Error);
      expect(await adminRun.text).toEqual(expect.any(String));
      expect(await first.completion({ modelId, history: history(), maxTokens: 3 }).text).toEqual(expect.any(String));
      await second.cancel({ requestId: runs[1]!.requestId });
      await expect(runs[1]!.text).rejects.toBeInstanceOf(Error);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("refuses a browser's upgrade (an Origin header) and an unknown path before authenticating", async () => {
    const fromPage = new WebSocket(host.url, { headers: { authorization: "Bearer key-mallory", origin: "http://evil.example" } });
    const [, pageResponse] = (await once(fromPage, "unexpected-response")) as [unknown, { statusCode: number }];
    expect(pageResponse.statusCode).toBe(403);
    const elsewhere = new WebSocket(host.url.replace("/rein", "/other"), { headers: { authorization: "Bearer key-mallory" } });
    const [, otherResponse] = (await once(elsewhere, "unexpected-response")) as [unknown, { statusCode: number }];
    expect(otherResponse.statusCode).toBe(404);
  });
});
