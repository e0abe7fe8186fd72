import path from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { Command, decodeJson, deserializeError, encodeJson, InvalidInputError, ProtocolError, PROTOCOL_VERSION, WorkerStartFailedError, type CallReply, type ReinError } from "@rein/protocol";
import RPC from "bare-rpc";
import { afterEach, describe, expect, it } from "vitest";
import { DownloadManager } from "../download/index.ts";
import { ModelStore } from "../engine/model-store.ts";
import { Workspaces } from "../store/index.ts";
import { builtinOps } from "../ops/builtin/index.ts";
import type { AnyOpDefinition } from "../ops/define-op.ts";
import { RequestRegistry } from "../registry/index.ts";
import { createConfigure } from "../worker-config.ts";
import { Dispatcher, type ConnectionTrust } from "./dispatcher.ts";
import { createDuplexPair } from "./duplex-pair.ts";
import { CancelTimeline } from "./cancel-timeline.ts";
import { FirstTokenTimeline } from "./first-token-timeline.ts";

type RpcStream = ConstructorParameters<typeof RPC>[0];
const TEST_OPS_MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../test/fixtures/test-ops.ts");

/** A dispatcher on one end of an in-memory duplex pair, a bare-rpc client on the other; the worker's real configure step. */
function connect(trust: ConnectionTrust) {
  const [clientSide, workerSide] = createDuplexPair();
  const registry = new RequestRegistry({ policies: {} });
  const services = {
    registry,
    models: new ModelStore(),
    cacheDir: os.tmpdir(),
    downloads: new DownloadManager({ cacheDir: path.join(os.tmpdir(), "downloads") }),
    defaultThreads: 1,
    log: () => undefined,
    metrics: new Map<string, number>(),
    cancelTimeline: new CancelTimeline(),
    firstTokenTimeline: new FirstTokenTimeline(),
    workspaces: new Workspaces({ root: () => path.join(os.tmpdir(), "rag") }),
  };
  const ops = new Map<string, AnyOpDefinition>(builtinOps.map((op) => [op.name, op]));
  let forwardLogs = false;
  const dispatcher = new Dispatcher({
    trust,
    services,
    ops,
    controls: new Map(),
    sendFrame: () => undefined,
    configure: createConfigure({ ops, services, setForwardLogs: (enabled) => (forwardLogs = enabled) }),
    engineVersion: async () => "test",
    shutdown: async () => undefined,
  });
  new RPC(workerSide as unknown as RpcStream, dispatcher.handle);
  const client = new RPC(clientSide as unknown as RpcStream, () => undefined);
  const handshake = async (config?: unknown): Promise<{ ok: true } | { ok: false; error: ReinError }> => {
    const request = client.request(Command.handshake);
    request.send(encodeJson({ protocolVersion: PROTOCOL_VERSION, ...(config === undefined ? {} : { config }) }));
    const reply = decodeJson((await request.reply()) as Buffer) as CallReply;
    return reply.ok ? { ok: true } : { ok: false, error: deserializeError(reply.error) };
  };
  const state = () => ({ defaultThreads: services.defaultThreads, cacheDir: services.cacheDir, forwardLogs, ops: [...ops.keys()].sort() });
  return { handshake, state, registry, close: () => clientSide.destroy() };
}

function refused(outcome: { ok: boolean; error?: ReinError }): ReinError {
  expect(outcome.ok).toBe(false);
  return outcome.error!;
}

describe("Dispatcher handshake: validated, atomic, once per connection, local only", () => {
  let connection: ReturnType<typeof connect> | undefined;
  afterEach(() => connection?.close());

  it("a local connection configures the worker once; a second handshake is refused and changes nothing", async () => {
    connection = connect("local");
    expect(await connection.handshake({ defaultThreads: 3, forwardLogs: true, opModules: [TEST_OPS_MODULE], policies: { completion: { maxConcurrentPerModel: 1, onOverflow: "reject" } } })).toEqual({ ok: true });
    const configured = connection.state();
    expect(configured).toMatchObject({ defaultThreads: 3, forwardLogs: true });
    expect(configured.ops).toContain("test.spell");
    const again = refused(await connection.handshake({ defaultThreads: 9, forwardLogs: false }));
    expect(ProtocolError.isInstance(again)).toBe(true);
    expect((again as ProtocolError).reason).toMatch(/already sent its handshake/);
    expect(connection.state()).toEqual(configured);
  });

  it("two handshakes sent at once: one configures, the other is refused", async () => {
    connection = connect("local");
    const outcomes = await Promise.all([connection.handshake({ defaultThreads: 2 }), connection.handshake({ defaultThreads: 5 })]);
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
    expect(connection.state().defaultThreads).toBe(2);
  });

  const badConfigs: [string, unknown, string][] = [
    ["policies as a string", { policies: "abc" }, "config.policies"],
    ["a policy for an unknown kind", { policies: { teleport: {} } }, "config.policies.teleport"],
    ["a negative defaultThreads", { defaultThreads: -1 }, "config.defaultThreads"],
    ["an absurd defaultThreads", { defaultThreads: 1e9 }, "config.defaultThreads"],
    ["a numeric cacheDir after a valid defaultThreads", { defaultThreads: 4, cacheDir: 5 }, "config.cacheDir"],
    ["an unknown key", { defaultThreads: 4, debugEval: "process.exit()" }, "config.debugEval"],
    ["opModules as a string", { opModules: "/tmp/x.js" }, "config.opModules"],
  ];
  for (const [name, config, field] of badConfigs) {
    it(`refuses ${name} with InvalidInputError naming ${field}, applies none of it, and accepts a valid retry`, async () => {
      connection = connect("local");
      const before = connection.state();
      const error = refused(await connection.handshake(config));
      expect(InvalidInputError.isInstance(error), String(error)).toBe(true);
      expect((error as InvalidInputError).field).toBe(field);
      expect(connection.state()).toEqual(before);
      expect(await connection.handshake({ defaultThreads: 2 })).toEqual({ ok: true });
      expect(connection.state().defaultThreads).toBe(2);
    });
  }

  it("an op module that fails to import leaves every other setting of the same handshake unapplied", async () => {
    connection = connect("local");
    const before = connection.state();
    const error = refused(await connection.handshake({ defaultThreads: 4, cacheDir: "/tmp/elsewhere", forwardLogs: true, opModules: ["/nonexistent/ops.js"] }));
    expect(WorkerStartFailedError.isInstance(error)).toBe(true);
    expect(connection.state()).toEqual(before);
  });

  it("a remote connection may handshake but never configure: no op modules, policies, cache dir, threads or logs", async () => {
    for (const [field, value] of Object.entries({ opModules: [TEST_OPS_MODULE], policies: {}, cacheDir: "/tmp/x", defaultThreads: 2, forwardLogs: true })) {
      connection = connect("remote");
      const before = connection.state();
      const error = refused(await connection.handshake({ [field]: value }));
      expect(InvalidInputError.isInstance(error)).toBe(true);
      expect((error as InvalidInputError).field).toBe(`config.${field}`);
      expect((error as InvalidInputError).reason).toMatch(/remote connection/);
      expect(connection.state()).toEqual(before);
      connection.close();
    }
    connection = connect("remote");
    expect(await connection.handshake()).toEqual({ ok: true });
    expect(await connection.handshake({})).toMatchObject({ ok: false });
  });
});
