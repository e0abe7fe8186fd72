import {
  callMessageSchema,
  cancelMessageSchema,
  Command,
  decodeJson,
  encodeJson,
  handshakeMessageSchema,
  handshakeVersionSchema,
  InvalidInputError,
  parseInput,
  ProtocolError,
  PROTOCOL_VERSION,
  serializeError,
  UnknownOperationError,
  type CallReply,
  type Frame,
  type HandshakeReply,
  type WorkerConfig,
  type WorkerSnapshot,
} from "@rein/protocol";
import type RPC from "bare-rpc";
import type { AnyOpDefinition } from "../ops/define-op.ts";
import { executeCall } from "../ops/execute-call.ts";
import type { WorkerServices } from "../worker-services.ts";

/** A quick, non-cancellable command reached through `call` that is not a registry request (unloadModel). */
export type ControlHandler = (input: unknown, services: WorkerServices) => Promise<unknown>;

/**
 * How far a connection is trusted. `local`: the pipe the parent process opened
 * (fd 3) — it spawned the worker and may configure it, once. `remote`: anything
 * reachable from another process or machine (WebSocket, HyperDHT) — it may run
 * requests, but never configure the worker: no op modules (that is running
 * code), no policies, cache dir, threads or log forwarding.
 */
export type ConnectionTrust = "local" | "remote";

export interface DispatcherOptions {
  /** Who is on the other end of this connection; decides whether its handshake may carry a config. */
  trust: ConnectionTrust;
  services: WorkerServices;
  ops: Map<string, AnyOpDefinition>;
  controls: Map<string, ControlHandler>;
  sendFrame: (requestId: string, frame: Frame) => void;
  /**
   * Applies the client's validated config (policies, threads, op modules)
   * before the handshake is answered: all of it or, when any part fails, none.
   */
  configure: (config: WorkerConfig) => Promise<void>;
  engineVersion: () => Promise<string>;
  shutdown: () => Promise<void>;
}

/**
 * Our own command dispatcher. bare-rpc's CommandRouter never answers an
 * unknown command (the caller hangs) and a handler that throws a TypeError is
 * rethrown by safety-catch and kills the worker; here every request gets
 * exactly one reply, whatever happens inside. One dispatcher serves one
 * connection (its trust and its handshake); the services behind it are shared.
 */
export class Dispatcher {
  readonly counters = { callsReceived: 0, cancelsReceived: 0 };
  /** Counters of the connection's transport, for `inspect`. */
  transportCounters: () => { framesRefused: number } = () => ({ framesRefused: 0 });
  readonly #options: DispatcherOptions;
  /** A handshake is accepted once: "pending" while one is configuring, "done" after one succeeded. */
  #handshake: "none" | "pending" | "done" = "none";

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  /** The bare-rpc `onrequest` callback. Never throws and never rejects. */
  handle = (incoming: RPC.IncomingRequest | RPC.IncomingEvent): void => {
    // The client sends no events; ignoring one keeps a stray frame from destroying the channel.
    if (!("reply" in incoming)) return;
    void this.#route(incoming).then(
      (reply) => this.#reply(incoming, reply),
      (error: unknown) => this.#reply(incoming, { ok: false, error: serializeError(error) }),
    );
  };

  async #route(request: RPC.IncomingRequest): Promise<CallReply> {
    const payload = decodeJson(request.data);
    switch (request.command) {
      case Command.handshake:
        return { ok: true, value: await this.#acceptHandshake(payload) };
      case Command.call:
        return this.#call(payload);
      case Command.cancel:
        return { ok: true, value: this.#cancel(payload) };
      case Command.inspect:
        return { ok: true, value: this.snapshot() };
      case Command.shutdown:
        await this.#options.shutdown();
        return { ok: true, value: {} };
      default:
        throw new ProtocolError({ reason: `unknown command ${request.command}` });
    }
  }

  async #acceptHandshake(payload: unknown): Promise<HandshakeReply> {
    // Once per connection: a second handshake (even one sent while the first is still configuring) would
    // reconfigure a worker that is already serving requests. A refused one changed nothing, so it may be retried.
    if (this.#handshake !== "none") throw new ProtocolError({ reason: "this connection already sent its handshake; a worker is configured once per connection" });
    this.#handshake = "pending";
    try {
      const reply = await this.#handshakeOnce(payload);
      this.#handshake = "done";
      return reply;
    } catch (error) {
      this.#handshake = "none";
      throw error;
    }
  }

  async #handshakeOnce(payload: unknown): Promise<HandshakeReply> {
    const { protocolVersion } = parseInput(handshakeVersionSchema, payload, "handshake");
    if (protocolVersion !== PROTOCOL_VERSION) {
      throw new ProtocolError({ reason: `client speaks protocol ${protocolVersion}, worker speaks ${PROTOCOL_VERSION}` });
    }
    const config = (parseInput(handshakeMessageSchema, payload, "handshake").config ?? {}) as WorkerConfig;
    if (this.#options.trust !== "local") {
      const field = Object.keys(config)[0];
      if (field !== undefined) throw new InvalidInputError({ field: `config.${field}`, reason: "cannot be set by a remote connection (only the process that spawned the worker configures it)", operation: "handshake" });
    }
    await this.#options.configure(config);
    return { protocolVersion: PROTOCOL_VERSION, serverVersion: "0.1.0", pid: process.pid, engine: { name: "node-llama-cpp", version: await this.#options.engineVersion() } };
  }

  async #call(payload: unknown): Promise<CallReply> {
    this.counters.callsReceived += 1;
    const message = parseInput(callMessageSchema, payload, "call");
    const control = this.#options.controls.get(message.op);
    if (control) return { ok: true, value: await control(message.input, this.#options.services) };
    const op = this.#options.ops.get(message.op);
    if (!op) throw new UnknownOperationError({ operation: message.op });
    return executeCall({
      message,
      op,
      services: this.#options.services,
      sendFrame: (frame) => this.#options.sendFrame(message.requestId, frame),
    });
  }

  #cancel(payload: unknown): { cancelled: number } {
    this.counters.cancelsReceived += 1;
    const { target, reason } = parseInput(cancelMessageSchema, payload, "cancel");
    const { registry, downloads } = this.#options.services;
    switch (target.operation) {
      case "request":
        if (target.clearCache) downloads.markClearCache(target.requestId);
        return { cancelled: registry.cancel({ requestId: target.requestId }, reason) };
      case "broad":
        // A model that is not (or no longer) loaded simply matches nothing: unload races are normal.
        return { cancelled: registry.cancel(target.kind ? { modelId: target.modelId, kind: target.kind } : { modelId: target.modelId }, reason) };
      case "rag":
        return { cancelled: registry.cancel({ workspace: target.workspace }, reason) };
      case "all":
        return { cancelled: registry.cancel({ all: true }, reason) };
    }
  }

  snapshot(): WorkerSnapshot {
    const { registry, models } = this.#options.services;
    const requests = registry.snapshot();
    const memory = process.memoryUsage();
    return {
      pid: process.pid,
      requests,
      queued: requests.filter((request) => request.state === "queued").length,
      rememberedCancels: registry.rememberedCancelCount,
      models: models.list().map((model) => ({
        modelId: model.modelId,
        modelSrc: model.modelSrc,
        references: model.references,
        parallel: model.config.parallel,
        threads: model.config.threads,
      })),
      counters: {
        callsReceived: this.counters.callsReceived,
        begun: registry.counters.begun,
        ended: registry.counters.ended,
        cancelsReceived: this.counters.cancelsReceived,
        framesRefused: this.transportCounters().framesRefused,
      },
      memory: { rss: memory.rss, heapUsed: memory.heapUsed },
      metrics: Object.fromEntries(this.#options.services.metrics),
    };
  }

  #reply(request: RPC.IncomingRequest, reply: CallReply): void {
    let encoded: Buffer;
    try {
      encoded = encodeJson(reply);
    } catch (error) {
      // An op result over the payload limit: the caller still gets an answer, a typed one.
      encoded = encodeJson({ ok: false, error: serializeError(error) });
    }
    try {
      request.reply(encoded);
    } catch {
      // The channel is gone (client died); the process exits on the socket's close.
    }
  }
}
