import { afterEach, describe, expect, it } from "vitest";
import { createClient, type LogMessage, type ReinClient } from "@rein/sdk";
import { WorkerHost } from "@rein/server";
import { tinyModel } from "../helpers/rein-test-client.ts";

/** Until the host's registry (as `client` sees it) holds `requestId`: waiting on the host's own state, bounded. */
async function untilRunning(client: ReinClient, requestId: string): Promise<void> {
  for (let attempt = 0; attempt < 1_000; attempt += 1) {
    if ((await client.inspect()).requests.some((request) => request.requestId === requestId)) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${requestId} never began`);
}

describe("an in-process WorkerHost", () => {
  const clients: ReinClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  it("keeps the log sink it was given when an in-process operator connection that wants no lines connects", async () => {
    const host = new WorkerHost();
    const lines: LogMessage[] = [];
    host.setLogSink((line) => lines.push(line));
    const operator = createClient({ connect: () => host.openStream({ trust: "local" }) });
    clients.push(operator);
    const group = operator.group();
    await untilRunning(operator, group.requestId);
    expect(await group.cancel()).toEqual({ cancelled: 1 });
    await expect(group.done).rejects.toBeInstanceOf(Error);
    expect(lines.map((line) => line.message).join("\n")).toMatch(new RegExp(`\\[request\\] end requestId=${group.requestId}`));
    await host.shutdown();
  });

  it("gives each in-process connection its owner's view, and a closed connection cancels what it started", async () => {
    const host = new WorkerHost();
    const alice = createClient({ connect: () => host.openStream({ trust: "remote", owner: "alice" }) });
    const bob = createClient({ connect: () => host.openStream({ trust: "remote", owner: "bob" }) });
    const admin = createClient({ connect: () => host.openStream({ trust: "remote" }) });
    clients.push(bob, admin);
    const group = alice.group();
    await untilRunning(alice, group.requestId);
    expect((await bob.inspect()).requests).toEqual([]);
    expect((await admin.inspect()).requests.map((request) => request.requestId)).toEqual([group.requestId]);
    expect(await bob.cancel({ requestId: group.requestId })).toEqual({ cancelled: 0 });
    await alice.close();
    await expect(group.done).rejects.toBeInstanceOf(Error);
    expect((await admin.inspect()).requests).toEqual([]);
    expect(host.connectionCount).toBe(2);
    await host.shutdown();
  });

  it("a connection that unloaded its own load does not give the reference back a second time when it closes", async () => {
    const host = new WorkerHost();
    const first = createClient({ connect: () => host.openStream({ trust: "local" }) });
    const second = createClient({ connect: () => host.openStream({ trust: "local" }) });
    clients.push(second);
    const modelSrc = await tinyModel();
    const modelId = await first.loadModel({ modelSrc });
    expect(await second.loadModel({ modelSrc })).toBe(modelId);
    expect(await first.unloadModel({ modelId })).toMatchObject({ freed: false, references: 1 });
    await first.close();
    expect((await second.inspect()).models.find((model) => model.modelId === modelId)?.references).toBe(1);
    await host.shutdown();
  });
});
