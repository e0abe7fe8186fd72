import {
  callMessageFast,
  callMessageSchema,
  cancelByIdMessage,
  cancelMessageSchema,
  Command,
  decodeJson,
  encodeJson,
  handshakeFast,
  handshakeMessageSchema,
  handshakeVersionSchema,
  InvalidInputError,
  parseInput,
  PermissionDeniedError,
  ProtocolError,
  RequestRejectedByPolicyError,
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
import type { RegistryScope } from "../registry/index.ts";
import type { WorkerServices } from "../worker-services.ts";
import type { OwnerQuota } from "./owner-quota.ts";
import { authorizeRemoteCall, type RemoteAccessRules } from "./remote-access.ts";

/**
 * A quick, non-cancellable command reached through `call` that is not a registry request (unloadModel).
 * `scope` is the caller's: a control that names a request must act only on one the caller may see.
 */
export type ControlHandler = (input: unknown, services: WorkerServices, scope: RegistryScope) => Promise<unknown>;

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
  /**
   * The caller's identity on a shared worker (a remote API key's id): its broad cancels, `inspect()` and
   * parents see only its own requests. Unset: the caller sees every request (the local app, an admin key).
   */
  owner?: string;
  /** What a remote connection may load; ignored for a local one. */
  remoteAccess?: RemoteAccessRules;
  /** Requests in flight per owner, shared by every connection of the host; unset: no limit. */
  ownerQuota?: OwnerQuota;
  services: WorkerServices;
  ops: Map<string, AnyOpDefinition>;
  controls: Map<string, ControlHandler>;
  sendFrame: (requestId: string, frame: Frame) => void;
  /**
   * Holds the connection's outgoing bytes until the returned release runs (see `FramedChannel.holdWrites`);
   * a cancel uses it so its last text, its lifecycle line and its acknowledgement leave in one write.
   */
  holdWrites?: () => () => void;
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
  /** Requests this connection started that have not been answered yet: a dropped connection cancels them. */
  readonly #inFlight = new Set<string>();
  /** Model references this connection's loads took, by modelId: released when it closes. */
  readonly #leases = new Map<string, number>();
  #closed = false;
  /** Replies that finish a stage of a traced cancel, stamped once they are handed to the pipe. */
  readonly #stampOnReply = new WeakMap<RPC.IncomingRequest, { requestId: string; stage: "acknowledgedAt" | "finalRepliedAt" }>();

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  get #scope(): RegistryScope {
    return this.#options.owner === undefined ? {} : { owner: this.#options.owner };
  }

  /**
   * The connection is gone: cancel what it started (running and queued, reason `clientDisconnected`) and give
   * back the model references its loads took, so a client that vanished leaves no work and no model behind.
   * Resolves when the references are released. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { registry } = this.#options.services;
    for (const requestId of this.#inFlight) registry.cancel({ requestId }, "clientDisconnected", this.#scope);
    const unload = this.#options.controls.get("unloadModel");
    const releases: Promise<unknown>[] = [];
    for (const [modelId, count] of this.#leases) {
      for (let index = 0; index < count; index += 1) releases.push(unload?.({ modelId }, this.#options.services, {}) ?? Promise.resolve());
    }
    this.#leases.clear();
    await Promise.allSettled(releases);
  }

  /** The bare-rpc `onrequest` callback. Never throws and never rejects. */
  handle = (incoming: RPC.IncomingRequest | RPC.IncomingEvent): void => {
    // The client sends no events; ignoring one keeps a stray frame from destroying the channel.
    if (!("reply" in incoming)) return;
    // Taken before anything else: the cancel-path breakdown starts where the worker first sees the frame.
    const receivedAt = performance.now();
    // A cancel is answered synchronously (#cancel never awaits), so the hold ends within this turn.
    const release = incoming.command === Command.cancel ? this.#options.holdWrites?.() : undefined;
    void this.#route(incoming, receivedAt).then(
      (reply) => this.#reply(incoming, reply, release),
      (error: unknown) => this.#reply(incoming, { ok: false, error: serializeError(error) }, release),
    );
  };

  async #route(request: RPC.IncomingRequest, receivedAt: number): Promise<CallReply> {
    const payload = decodeJson(request.data);
    switch (request.command) {
      case Command.handshake:
        return { ok: true, value: await this.#acceptHandshake(payload) };
      case Command.call:
        return this.#call(payload, request, receivedAt);
      case Command.cancel:
        return { ok: true, value: this.#cancel(payload, request, receivedAt) };
      case Command.inspect:
        return { ok: true, value: this.snapshot() };
      case Command.shutdown:
        if (this.#options.trust !== "local") throw new PermissionDeniedError({ operation: "shutdown", reason: "a remote connection cannot stop the server; close the connection instead" });
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
    // The common handshake skips zod (see handshakeFast): it is the first message a new worker parses.
    const fast = handshakeFast(payload);
    const { protocolVersion } = fast ?? parseInput(handshakeVersionSchema, payload, "handshake");
    if (protocolVersion !== PROTOCOL_VERSION) {
      throw new ProtocolError({ reason: `client speaks protocol ${protocolVersion}, worker speaks ${PROTOCOL_VERSION}` });
    }
    const config = ((fast ?? parseInput(handshakeMessageSchema, payload, "handshake")).config ?? {}) as WorkerConfig;
    if (this.#options.trust !== "local") {
      const field = Object.keys(config)[0];
      if (field !== undefined) throw new InvalidInputError({ field: `config.${field}`, reason: "cannot be set by a remote connection (only the process that spawned the worker configures it)", operation: "handshake" });
    }
    await this.#options.configure(config);
    return { protocolVersion: PROTOCOL_VERSION, serverVersion: "0.1.0", pid: process.pid, engine: { name: "node-llama-cpp", version: await this.#options.engineVersion() } };
  }

  async #call(payload: unknown, request: RPC.IncomingRequest, receivedAt: number): Promise<CallReply> {
    this.counters.callsReceived += 1;
    const parsed = callMessageFast(payload) ?? parseInput(callMessageSchema, payload, "call");
    this.#options.services.firstTokenTimeline.received(parsed.requestId, receivedAt);
    const remote = this.#options.trust !== "local";
    const message = remote ? authorizeRemoteCall(parsed, this.#options.remoteAccess ?? {}, { owner: this.#options.owner }) : parsed;
    if (message.op === "unloadModel") return { ok: true, value: await this.#unload(message.input, remote) };
    const control = this.#options.controls.get(message.op);
    if (control) return { ok: true, value: await control(message.input, this.#options.services, this.#scope) };
    const op = this.#options.ops.get(message.op);
    if (!op) throw new UnknownOperationError({ operation: message.op });
    // A call arriving after the connection closed would outlive it with nobody to cancel it.
    if (this.#closed) throw new ProtocolError({ reason: "the connection closed before this call began" });
    const { owner, ownerQuota } = this.#options;
    const counted = owner !== undefined && ownerQuota !== undefined;
    if (counted && !ownerQuota.take(owner)) {
      const modelId = (message.input as { modelId?: unknown } | undefined)?.modelId;
      throw new RequestRejectedByPolicyError({
        requestId: message.requestId,
        kind: op.kind,
        modelId: typeof modelId === "string" ? modelId : "",
        reason: `this API key already has ${ownerQuota.limit} requests in flight, the most this server allows per key`,
        rule: "perKeyLimit",
      });
    }
    // A reused id is refused by the registry (RequestIdConflictError): it must not untrack the request that owns it.
    const tracked = !this.#inFlight.has(message.requestId);
    if (tracked) this.#inFlight.add(message.requestId);
    try {
      const reply = await executeCall({
        message,
        op,
        owner: this.#options.owner,
        services: this.#options.services,
        sendFrame: (frame) => this.#options.sendFrame(message.requestId, frame),
      });
      if (message.op === "loadModel" && reply.ok) this.#lease(reply.value as string);
      this.#stampOnReply.set(request, { requestId: message.requestId, stage: "finalRepliedAt" });
      return reply;
    } finally {
      if (tracked) this.#inFlight.delete(message.requestId);
      if (counted) ownerQuota.release(owner);
    }
  }

  #lease(modelId: string): void {
    // Loaded after the connection went: nobody will unload it, so give the reference back now.
    if (this.#closed) {
      void this.#options.controls.get("unloadModel")?.({ modelId }, this.#options.services, {}).catch(() => undefined);
      return;
    }
    this.#setLease(modelId, (this.#leases.get(modelId) ?? 0) + 1);
  }

  /**
   * Gives back a model reference. A remote caller may give back only references its own loads took (the
   * operator's models stay); a local one may give back any. Either way a reference this connection took is
   * counted off, so its close does not give it back a second time (that would free someone else's).
   */
  async #unload(input: unknown, remote: boolean): Promise<unknown> {
    const modelId = (input as { modelId?: unknown } | undefined)?.modelId;
    const held = typeof modelId === "string" ? (this.#leases.get(modelId) ?? 0) : 0;
    if (remote && held === 0) {
      throw new PermissionDeniedError({ operation: "unloadModel", reason: "modelId: a remote connection can unload only a model it loaded itself" });
    }
    // Counted off before the await: two unloads racing for one reference must not both pass the check.
    if (typeof modelId === "string" && held > 0) this.#setLease(modelId, held - 1);
    try {
      return await this.#options.controls.get("unloadModel")!(input, this.#options.services, this.#scope);
    } catch (error) {
      if (typeof modelId === "string" && held > 0) this.#setLease(modelId, (this.#leases.get(modelId) ?? 0) + 1);
      throw error;
    }
  }

  #setLease(modelId: string, count: number): void {
    if (count > 0) this.#leases.set(modelId, count);
    else this.#leases.delete(modelId);
  }

  #cancel(payload: unknown, request: RPC.IncomingRequest, receivedAt: number): { cancelled: number } {
    this.counters.cancelsReceived += 1;
    // The by-id form (the latency path) is checked by hand; every other form, and every error, goes through zod.
    const { target, reason } = cancelByIdMessage(payload) ?? parseInput(cancelMessageSchema, payload, "cancel");
    const { registry, downloads, cancelTimeline } = this.#options.services;
    const scope = this.#scope;
    switch (target.operation) {
      case "request": {
        if (target.clearCache && this.#options.trust === "local") downloads.markClearCache(target.requestId);
        cancelTimeline.received(target.requestId, receivedAt);
        const cancelled = registry.cancel({ requestId: target.requestId }, reason, scope);
        cancelTimeline.stamp(target.requestId, "abortedAt");
        this.#stampOnReply.set(request, { requestId: target.requestId, stage: "acknowledgedAt" });
        return { cancelled };
      }
      case "broad":
        // A model that is not (or no longer) loaded simply matches nothing: unload races are normal.
        return { cancelled: registry.cancel(target.kind ? { modelId: target.modelId, kind: target.kind } : { modelId: target.modelId }, reason, scope) };
      case "rag":
        return { cancelled: registry.cancel({ workspace: target.workspace }, reason, scope) };
      case "all":
        return { cancelled: registry.cancel({ all: true }, reason, scope) };
    }
  }

  snapshot(): WorkerSnapshot {
    const { registry, models } = this.#options.services;
    const requests = registry.snapshot(this.#scope);
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

  #reply(request: RPC.IncomingRequest, reply: CallReply, release?: () => void): void {
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
    } finally {
      release?.();
    }
    const stamp = this.#stampOnReply.get(request);
    if (stamp !== undefined) this.#options.services.cancelTimeline.stamp(stamp.requestId, stamp.stage);
  }
}
