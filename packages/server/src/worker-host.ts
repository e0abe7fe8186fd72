import path from "node:path";
import type { Duplex } from "node:stream";
import { createFramedChannel, Event, encodeJson, type FramedChannel, type GoodbyeMessage, type LogMessage, type ProtocolError, type WorkerConfig } from "@rein/protocol";
import RPC from "bare-rpc";
import { defaultCacheDir } from "./download/default-cache-dir.ts";
import { DownloadManager } from "./download/index.ts";
import { cooperativeGgufReaderInstalled } from "./engine/cooperative-gguf-reader.ts";
import { engineVersion, warmUpEngine } from "./engine/llama-runtime.ts";
import { workerStart } from "./startup/worker-start-info.ts";
import { ModelStore } from "./engine/model-store.ts";
import { defaultPolicies } from "./default-policies.ts";
import { endGroup } from "./ops/builtin/group-op.ts";
import { builtinOps } from "./ops/builtin/index.ts";
import { deliverToolResults } from "./ops/builtin/tool-results-mailbox.ts";
import { unloadModel } from "./ops/controls/unload-model.ts";
import { workerStatus } from "./ops/controls/worker-status.ts";
import type { AnyOpDefinition } from "./ops/define-op.ts";
import { registerOp } from "./ops/op-modules.ts";
import { RequestRegistry, type LifecycleLogEntry } from "./registry/index.ts";
import { CancelTimeline } from "./transport/cancel-timeline.ts";
import { FirstTokenTimeline } from "./transport/first-token-timeline.ts";
import { Dispatcher, type ConnectionTrust, type ControlHandler } from "./transport/dispatcher.ts";
import { createDuplexPair } from "./transport/duplex-pair.ts";
import { OwnerQuota } from "./transport/owner-quota.ts";
import type { RemoteAccessRules } from "./transport/remote-access.ts";
import { Workspaces } from "./store/index.ts";
import { createConfigure } from "./worker-config.ts";
import type { WorkerLogLevel, WorkerServices } from "./worker-services.ts";

export interface WorkerHostOptions {
  /** Ops to run besides the built-in ones. */
  ops?: readonly AnyOpDefinition[];
  /** What remote connections may load (`rein serve` passes the models it was started with). */
  remoteAccess?: RemoteAccessRules;
  /** Requests one owner (API key) may have in flight at once, over all its connections; beyond it calls are rejected (`perKeyLimit`). Default: no limit. */
  maxRequestsPerOwner?: number;
}

export interface HostConnectionOptions {
  trust: ConnectionTrust;
  /** The caller's identity (an API key's id): scopes its cancels, `inspect()` and parents. Unset: sees all. */
  owner?: string;
  /** The peer broke the protocol; the channel is already refusing its bytes. Default: close the stream. */
  onViolation?: (error: ProtocolError, connection: HostConnection) => void;
}

/** One peer attached to the host: its own RPC channel and dispatcher over the shared registry. */
export interface HostConnection {
  readonly dispatcher: Dispatcher;
  /** Sends an event (goodbye, log) to this peer; a closed channel drops it. */
  sendEvent(command: number, payload: unknown): void;
  /** Resolves once the stream closed and everything this peer started was cancelled and released. */
  readonly closed: Promise<void>;
}

/** How long shutdown waits for requests to clean up before it stops waiting. */
const SHUTDOWN_DRAIN_LIMIT_MS = 5_000;

/**
 * The worker's state — registry, models, downloads, ops — serving any number
 * of connections. The fd-3 pipe of a spawned worker is one connection; `rein
 * serve` attaches one per WebSocket client and per API key of its HTTP routes.
 * Every connection gets its own dispatcher (its trust, its owner, its
 * handshake); there is only ever one registry, so one cancel, one policy and
 * one queue cover every caller.
 *
 * @example
 * ```ts
 * const host = new WorkerHost();
 * await host.configure({ defaultThreads: 2 });
 * const connection = host.connect(webSocketStream, { trust: "remote", owner: "key-1" });
 * await connection.closed; // the peer left: its requests were cancelled
 * await host.shutdown();
 * ```
 */
export class WorkerHost {
  readonly services: WorkerServices & { downloads: DownloadManager; defaultThreads: number; cacheDir: string; workspaces: Workspaces };
  readonly #ops = new Map<string, AnyOpDefinition>();
  readonly #controls: Map<string, ControlHandler>;
  readonly #remoteAccess: RemoteAccessRules;
  readonly #ownerQuota: OwnerQuota | undefined;
  readonly #configure: (config: WorkerConfig) => Promise<void>;
  readonly #connections = new Set<HostConnection>();
  #logSink: ((message: LogMessage) => void) | undefined;
  #shuttingDown: Promise<void> | undefined;

  constructor(options: WorkerHostOptions = {}) {
    const log = (level: WorkerLogLevel, message: string, data?: Record<string, unknown>) => this.#logSink?.({ level, message, data });
    this.services = {
      // Nobody reads the lifecycle line unless a client asked for logs: skip building it (twice per request).
      registry: new RequestRegistry({ policies: defaultPolicies(), logger: (entry) => {
          if (this.#logSink !== undefined) log(...lifecycleLine(entry));
        },
      }),
      models: new ModelStore(),
      cacheDir: defaultCacheDir(),
      downloads: new DownloadManager({ cacheDir: path.join(defaultCacheDir(), "downloads") }),
      defaultThreads: 1,
      log,
      metrics: new Map(),
      cancelTimeline: new CancelTimeline(),
      firstTokenTimeline: new FirstTokenTimeline(),
      // Read per open: the handshake may move the cache directory before the first RAG op.
      workspaces: new Workspaces({ root: () => path.join(this.services.cacheDir, "rag") }),
    };
    for (const op of [...builtinOps, ...(options.ops ?? [])]) registerOp(this.#ops, op);
    this.#controls = new Map<string, ControlHandler>([
      ["unloadModel", unloadModel],
      ["endGroup", endGroup],
      ["completion.toolResults", deliverToolResults],
      ["workerStatus", workerStatus],
    ]);
    this.#remoteAccess = options.remoteAccess ?? {};
    this.#ownerQuota = options.maxRequestsPerOwner === undefined ? undefined : new OwnerQuota(options.maxRequestsPerOwner);
    this.#configure = createConfigure({ ops: this.#ops, services: this.services, setForwardLogs: () => undefined });
    // The built worker says how its bundle was compiled (accepted, rejected or absent V8 code cache).
    const start = workerStart();
    if (start) this.services.metrics.set(`worker.codeCache.${start.codeCache}`, 1);
  }

  /** Where lifecycle lines go (the local client's logger, the server's console); `undefined` drops them. */
  setLogSink(sink: ((message: LogMessage) => void) | undefined): void {
    this.#logSink = sink;
  }

  /** Applies the operator's configuration (threads, policies, cache dir, op modules): all of it or none. */
  configure(config: WorkerConfig): Promise<void> {
    return this.#configure(config);
  }

  /**
   * Serves one peer on `stream`. A local connection may configure the host in its handshake; a remote one
   * never can. When the stream closes, everything the peer started is cancelled and its model loads released.
   */
  connect(stream: Duplex, options: HostConnectionOptions): HostConnection {
    let rpc: RPC | undefined;
    let channel: FramedChannel | undefined;
    const sendEvent = (command: number, payload: unknown) => {
      try {
        rpc?.event(command).send(encodeJson(payload));
        // A goodbye is the last message, often right before process.exit: it must not wait for the next tick.
        if (command === Event.goodbye) channel?.flushWrites();
      } catch {
        // Channel gone: its close handler cleans up.
      }
    };
    const dispatcher = new Dispatcher({
      trust: options.trust,
      owner: options.owner,
      remoteAccess: this.#remoteAccess,
      ownerQuota: this.#ownerQuota,
      services: this.services,
      ops: this.#ops,
      controls: this.#controls,
      engineVersion: async () => engineVersion(),
      sendFrame: (requestId, frame) => sendEvent(Event.frame, { requestId, frame }),
      holdWrites: () => channel?.holdWrites() ?? (() => undefined),
      shutdown: () => this.shutdown(),
      configure: async (config) => {
        if (options.trust === "local") {
          await this.#configure(config);
          // Only a connection that asks for the lines takes them: an in-process operator connection that does not
          // must not silence the sink its host was given (rein serve's logger).
          if (config.forwardLogs === true) this.setLogSink((message) => sendEvent(Event.log, message));
        }
        // The handshake reply goes out first; node-llama-cpp loads right after, while the client gets ready.
        setImmediate(() => {
          const warm = warmUpEngine({
            cacheDir: this.services.cacheDir,
            // inspect() shows how the binding started: node-llama-cpp's tested getLlama(), or a binary it tested before.
            onStarted: (how) => {
              this.services.metrics.set(how === "recorded" ? "engine.recordedBinaryStarts" : "engine.testedBinaryStarts", 1);
              // And whether node-llama-cpp's GGUF reader was made cooperative (see cooperative-gguf-reader.ts).
              if (cooperativeGgufReaderInstalled()) this.services.metrics.set("engine.cooperativeGgufReader", 1);
            },
          });
          // The built worker's V8 code cache, written once the start's work is done (it then holds what the
          // handshake and the engine start compiled), and before the first load has to share the CPU with it.
          void warm.finally(() => workerStart()?.writeCodeCache());
        });
      },
    });
    let closedResolve!: () => void;
    const connection: HostConnection = { dispatcher, sendEvent, closed: new Promise<void>((resolve) => (closedResolve = resolve)) };
    // bare-rpc reads only through the frame reader: whole, decodable frames, a few at a time (see frame-reader.ts).
    channel = createFramedChannel(stream, {
      onViolation: (error) => {
        if (options.onViolation) return options.onViolation(error, connection);
        sendEvent(Event.goodbye, { reason: error.reason, fatal: false } satisfies GoodbyeMessage);
        stream.end();
      },
    });
    rpc = new RPC(channel as unknown as ConstructorParameters<typeof RPC>[0], dispatcher.handle);
    const framed = channel;
    dispatcher.transportCounters = () => ({ framesRefused: framed.refusedFrames });
    this.#connections.add(connection);
    let closing = false;
    const onGone = () => {
      if (closing) return;
      closing = true;
      // The peer ended its side: end ours too, so a client waiting for the stream to close is not left waiting.
      stream.destroy();
      this.#connections.delete(connection);
      void dispatcher.close().finally(closedResolve);
    };
    stream.on("end", onGone);
    stream.on("close", onGone);
    stream.on("error", onGone);
    return connection;
  }

  /**
   * An in-process connection: returns the client's end of a stream pair whose other end this host serves.
   * For a client in the same process, e.g. `rein serve`'s HTTP routes, one scoped connection per API key.
   *
   * @example
   * ```ts
   * const client = createClient({ connect: () => host.openStream({ trust: "remote", owner: "key-1" }) });
   * ```
   */
  openStream(options: HostConnectionOptions): Duplex {
    const [clientSide, hostSide] = createDuplexPair();
    this.connect(hostSide, options);
    return clientSide;
  }

  /** Connections attached right now. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Cancels every request, waits (bounded) for their cleanup and frees the models. Idempotent. Soft-cancelled
   * native work may never return: then the models are left to the process exit rather than freed under it.
   */
  shutdown(): Promise<void> {
    this.#shuttingDown ??= (async () => {
      const { registry, models } = this.services;
      registry.cancel({ all: true }, "shutdown");
      const drained = await settlesWithin(registry.whenIdle(), SHUTDOWN_DRAIN_LIMIT_MS);
      if (!drained) this.services.log("warn", `shutdown: requests still draining after ${SHUTDOWN_DRAIN_LIMIT_MS} ms; exiting without waiting for them`);
      if (drained) await Promise.allSettled(models.takeAll().map((model) => model.dispose()));
      // A clean close of each workspace database: the next open needs no recovery, and the locks are freed.
      await this.services.workspaces.closeAll();
    })();
    return this.#shuttingDown;
  }
}

function settlesWithin(promise: Promise<unknown>, milliseconds: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), milliseconds);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function lifecycleLine(entry: LifecycleLogEntry): [WorkerLogLevel, string, Record<string, unknown>] {
  const level: WorkerLogLevel = entry.state === "failed" ? "warn" : entry.event === "rejected" ? "warn" : "info";
  const message = `[request] ${entry.event} requestId=${entry.requestId} kind=${entry.kind} modelId=${entry.modelId ?? "-"} state=${entry.state} durationMs=${Math.round(entry.durationMs)}${entry.reason ? ` reason=${entry.reason}` : ""}`;
  return [level, message, { ...entry }];
}
