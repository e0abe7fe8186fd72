import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { createWebSocketStream } from "ws";
import RPC from "bare-rpc";
import { createClient, ErrorCode, InferenceCancelledError, ServerUnreachableError, type ReinClient, type WorkerSnapshot } from "@rein/sdk";
import { Command, decodeJson, encodeJson, PROTOCOL_VERSION, type CallReply } from "@rein/protocol";
import { firstDelta } from "../helpers/run-events.ts";
import { history, tinyModel } from "../helpers/rein-test-client.ts";
import { startHostProcess, type HostProcess } from "./host-process.ts";

const keys = { "key-alice": "alice", "key-admin": "" };

/** Re-reads the host's registry until `predicate` holds: waiting on the server's own state, bounded. */
async function until(client: ReinClient, predicate: (snapshot: WorkerSnapshot) => boolean, what: string): Promise<WorkerSnapshot> {
  for (let attempt = 0; attempt < 2_000; attempt += 1) {
    const snapshot = await client.inspect();
    if (predicate(snapshot)) return snapshot;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never saw: ${what}`);
}

describe("connection loss between a remote client and the server", () => {
  let host: HostProcess;
  let admin: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    // One sequence: a second completion waits in the queue.
    host = await startHostProcess({ keys, models: [{ name: "tiny", modelSrc: await tinyModel(), modelConfig: { parallel: 1 } }] });
    modelId = host.models.tiny!;
    admin = createClient({ url: host.url, apiKey: "key-admin" });
  });
  afterAll(async () => {
    await admin?.close();
    await host?.stop();
  });

  it("a client that vanishes cancels its running and its queued request on the server; the queued one never reaches the model", async () => {
    let socket: WebSocket | undefined;
    const vanishing = createClient({
      connect: async () => {
        socket = new WebSocket(host.url, { headers: { authorization: "Bearer key-alice" } });
        await once(socket, "open");
        return createWebSocketStream(socket);
      },
    });
    const running = vanishing.completion({ modelId, history: history(), maxTokens: 100_000 });
    await firstDelta(running);
    const queued = vanishing.completion({ modelId, history: history(), maxTokens: 100_000 });
    const before = await until(admin, (snapshot) => snapshot.requests.some((request) => request.requestId === queued.requestId && request.state === "queued"), "the second run queued");
    expect(before.requests.find((request) => request.requestId === queued.requestId)?.queuePosition).toBe(1);
    const runsStarted = before.metrics["completion.started"];

    socket!.terminate();
    await expect(running.text).rejects.toBeInstanceOf(ServerUnreachableError);
    await expect(queued.text).rejects.toBeInstanceOf(ServerUnreachableError);
    const after = await until(admin, (snapshot) => snapshot.requests.length === 0, "the registry empty");
    expect(after.metrics["completion.started"]).toBe(runsStarted);
    expect(after.counters.ended).toBeGreaterThanOrEqual(before.counters.ended + 2);
  });

  it("a refused duplicate requestId does not untrack the running request: the vanished peer's run is still cancelled", async () => {
    // A raw bare-rpc peer: the SDK refuses a duplicate id before sending it, so only a raw peer reaches this path.
    const socket = new WebSocket(host.url, { headers: { authorization: "Bearer key-alice" } });
    await once(socket, "open");
    const stream = createWebSocketStream(socket);
    stream.on("error", () => undefined);
    const rpc = new RPC(stream as unknown as ConstructorParameters<typeof RPC>[0], () => undefined);
    const send = (command: number, payload: unknown) => {
      const request = rpc.request(command);
      request.send(encodeJson(payload));
      return request.reply().then((raw) => decodeJson(raw as Buffer) as CallReply, () => undefined);
    };
    expect(await send(Command.handshake, { protocolVersion: PROTOCOL_VERSION })).toMatchObject({ ok: true });
    const requestId = crypto.randomUUID();
    const call = { op: "completion", requestId, input: { modelId, history: history(), maxTokens: 100_000 } };
    void send(Command.call, call);
    await until(admin, (snapshot) => snapshot.requests.some((request) => request.requestId === requestId && request.state === "running"), "the run started");
    const duplicate = await send(Command.call, { ...call, input: { ...call.input, maxTokens: 3 } });
    expect(duplicate).toMatchObject({ ok: false, error: { code: ErrorCode.RequestIdConflict } });
    socket.terminate();
    const after = await until(admin, (snapshot) => snapshot.requests.length === 0, "the registry empty");
    expect(after.requests).toEqual([]);
  });

  it("close() leaves the server: what the client started is cancelled, other clients keep running", async () => {
    const leaving = createClient({ url: host.url, apiKey: "key-alice" });
    const run = leaving.completion({ modelId, history: history(), maxTokens: 100_000 });
    await firstDelta(run);
    await leaving.close();
    await expect(run.text).rejects.toBeInstanceOf(Error);
    await until(admin, (snapshot) => snapshot.requests.length === 0, "the registry empty");
    const still = admin.completion({ modelId, history: history(), maxTokens: 3 });
    expect(await still.text).toEqual(expect.any(String));
  });
});

describe("a server that dies", () => {
  it("settles every pending call with ServerUnreachableError at once; the next call connects to the server that replaced it", async () => {
    const modelSrc = await tinyModel();
    let host = await startHostProcess({ keys, models: [{ name: "tiny", modelSrc }] });
    const port = Number(new URL(host.url).port);
    const client = createClient({ url: host.url, apiKey: "key-alice" });
    try {
      const run = client.completion({ modelId: host.models.tiny!, history: history(), maxTokens: 100_000 });
      await firstDelta(run);
      const events: string[] = [];
      const reading = (async () => {
        for await (const event of run.events) events.push(event.type);
      })();
      host.child.kill("SIGKILL");
      const error = await run.text.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ServerUnreachableError);
      expect((error as ServerUnreachableError).address).toBe(`ws://127.0.0.1:${port}/rein`);
      expect(InferenceCancelledError.isInstance(error)).toBe(false);
      await reading.catch(() => undefined);
      await expect(client.inspect()).rejects.toBeInstanceOf(ServerUnreachableError);

      host = await startHostProcess({ keys, models: [{ name: "tiny", modelSrc }], port });
      expect((await client.inspect()).requests).toEqual([]);
      expect(await client.completion({ modelId: host.models.tiny!, history: history(), maxTokens: 3 }).text).toEqual(expect.any(String));
    } finally {
      await client.close();
      await host.stop();
    }
  });
});
