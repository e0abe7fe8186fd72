import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import RPC from "bare-rpc";
import WebSocket, { createWebSocketStream } from "ws";
import { createClient, InvalidInputError, PermissionDeniedError, type ReinClient } from "@rein/sdk";
import { Command, decodeJson, deserializeError, encodeJson, PROTOCOL_VERSION, type CallReply } from "@rein/protocol";
import { history, tinyModel } from "../helpers/rein-test-client.ts";
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
    host = await startHostProcess({ keys, models: [{ name: "tiny", modelSrc: await tinyModel() }] });
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

  it("refuses a browser's upgrade (an Origin header) and an unknown path before authenticating", async () => {
    const fromPage = new WebSocket(host.url, { headers: { authorization: "Bearer key-mallory", origin: "http://evil.example" } });
    const [, pageResponse] = (await once(fromPage, "unexpected-response")) as [unknown, { statusCode: number }];
    expect(pageResponse.statusCode).toBe(403);
    const elsewhere = new WebSocket(host.url.replace("/rein", "/other"), { headers: { authorization: "Bearer key-mallory" } });
    const [, otherResponse] = (await once(elsewhere, "unexpected-response")) as [unknown, { statusCode: number }];
    expect(otherResponse.statusCode).toBe(404);
  });
});
