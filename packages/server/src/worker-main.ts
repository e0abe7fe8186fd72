import net from "node:net";
import path from "node:path";
import { createFramedChannel, Event, encodeJson, WorkerExitCode, type GoodbyeMessage, type LogMessage } from "@rein/protocol";
import RPC from "bare-rpc";
import { defaultCacheDir } from "./download/default-cache-dir.ts";
import { DownloadManager } from "./download/index.ts";
import { engineVersion, warmUpEngine } from "./engine/llama-runtime.ts";
import { ModelStore } from "./engine/model-store.ts";
import { endGroup } from "./ops/builtin/group-op.ts";
import { builtinOps } from "./ops/builtin/index.ts";
import { unloadModel } from "./ops/controls/unload-model.ts";
import { deliverToolResults } from "./ops/builtin/tool-results-mailbox.ts";
import type { AnyOpDefinition } from "./ops/define-op.ts";
import { defaultPolicies } from "./default-policies.ts";
import { RequestRegistry, type LifecycleLogEntry } from "./registry/index.ts";
import { Dispatcher, type ControlHandler } from "./transport/dispatcher.ts";
import { registerOp } from "./ops/op-modules.ts";
import { createConfigure } from "./worker-config.ts";
import { Workspaces } from "./store/index.ts";
import type { WorkerLogLevel, WorkerServices } from "./worker-services.ts";

export interface StartWorkerOptions {
  /** Ops to run besides the built-in ones (a worker entry of the application's own). */
  ops?: readonly AnyOpDefinition[];
  /** The file descriptor of the RPC pipe the parent opened; 3 by default. */
  fd?: number;
}

/**
 * Runs the worker loop on the pipe the SDK opened (fd 3), leaving stdout and
 * stderr free for logs. The worker exits when the parent goes away.
 *
 * @example
 * ```ts
 * // my-worker.ts: a worker with an extra op
 * import { startWorker } from "@rein/server";
 * import { reverseOp } from "./reverse-op.ts";
 * startWorker({ ops: [reverseOp] });
 * ```
 */
export function startWorker(options: StartWorkerOptions = {}): void {
  const socket = new net.Socket({ fd: options.fd ?? 3, readable: true, writable: true });
  let forwardLogs = false;
  const sendEvent = (command: number, payload: unknown) => {
    try {
      rpc.event(command).send(encodeJson(payload));
    } catch {
      // Channel gone: the close handler below ends the process.
    }
  };
  const log = (level: WorkerLogLevel, message: string, data?: Record<string, unknown>) => {
    if (forwardLogs) sendEvent(Event.log, { level, message, data } satisfies LogMessage);
  };

  const registry = new RequestRegistry({ policies: defaultPolicies(), logger: (entry) => log(...lifecycleLine(entry)) });
  const services: WorkerServices & { downloads: DownloadManager; defaultThreads: number; cacheDir: string } = {
    registry,
    models: new ModelStore(),
    cacheDir: defaultCacheDir(),
    downloads: new DownloadManager({ cacheDir: path.join(defaultCacheDir(), "downloads") }),
    defaultThreads: 1,
    log,
    metrics: new Map(),
    // Read per open: the handshake may move the cache directory before the first RAG op.
    workspaces: new Workspaces({ root: () => path.join(services.cacheDir, "rag") }),
  };
  const ops = new Map<string, AnyOpDefinition>();
  for (const op of [...builtinOps, ...(options.ops ?? [])]) registerOp(ops, op);
  const controls = new Map<string, ControlHandler>([
    ["unloadModel", unloadModel],
    ["endGroup", endGroup],
    ["completion.toolResults", deliverToolResults],
  ]);

  let shuttingDown: Promise<void> | undefined;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      registry.cancel({ all: true }, "shutdown");
      // Soft-cancelled native work may never return; shutdown must still end.
      const drained = await settlesWithin(registry.whenIdle(), SHUTDOWN_DRAIN_LIMIT_MS);
      if (!drained) log("warn", `shutdown: requests still draining after ${SHUTDOWN_DRAIN_LIMIT_MS} ms; exiting without waiting for them`);
      // Freeing a model under native work that still runs could crash; the process exit frees it instead.
      if (drained) await Promise.allSettled(services.models.takeAll().map((model) => model.dispose()));
      // A clean close of each workspace database: the next open needs no recovery, and the locks are freed.
      await services.workspaces.closeAll();
    })();
    return shuttingDown;
  };

  const applyConfig = createConfigure({ ops, services, setForwardLogs: (enabled) => (forwardLogs = enabled) });
  const dispatcher = new Dispatcher({
    services,
    ops,
    controls,
    engineVersion: async () => engineVersion(),
    sendFrame: (requestId, frame) => sendEvent(Event.frame, { requestId, frame }),
    shutdown,
    trust: "local",
    configure: async (config) => {
      await applyConfig(config);
      // The handshake reply goes out first; node-llama-cpp loads right after, while the client gets ready.
      setImmediate(warmUpEngine);
    },
  });
  // bare-rpc reads only through the frame reader: whole, decodable frames, a few at a time (see frame-reader.ts).
  let exitCode = 0;
  const channel = createFramedChannel(socket, {
    onViolation: (error) => {
      // The peer broke the protocol: tell it why (the outgoing direction still works), then leave.
      exitCode = WorkerExitCode.protocolViolation;
      process.stderr.write(`rein worker: ${error.message}; closing the channel\n`);
      sendEvent(Event.goodbye, { reason: error.reason, fatal: false } satisfies GoodbyeMessage);
      // Half-close and keep reading (the reader drops it all): a peer still writing then reads the goodbye
      // instead of failing with EPIPE and losing it. A peer that never closes its side gets a bound.
      socket.end();
      setTimeout(() => socket.destroy(), VIOLATION_LINGER_MS);
    },
  });
  const rpc = new RPC(channel as unknown as ConstructorParameters<typeof RPC>[0], dispatcher.handle);
  dispatcher.transportCounters = () => ({ framesRefused: channel.refusedFrames });

  // The parent closed the pipe (it exited, crashed, or called close()): stop whatever runs and leave.
  const exitWhenOrphaned = () => void shutdown().finally(() => process.exit(exitCode));
  socket.on("end", exitWhenOrphaned);
  socket.on("close", exitWhenOrphaned);
  socket.on("error", () => undefined);

  // Ctrl+C in a terminal signals the whole process group, worker included. The parent decides what a
  // Ctrl+C means (cancel one reply, or shut down); the worker's lifetime is bound to the pipe instead.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", exitWhenOrphaned);

  // After an exception nobody caught, nothing says which of the worker's invariants still hold (a parser
  // half-way through a frame, a slot never released): exit and let the client start a fresh worker, rather
  // than keep a process that looks alive and may never answer again.
  const exitOnFatal = (what: string, error: unknown) => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`rein worker: ${what}; exiting with code ${WorkerExitCode.internalError} because the worker's state is unknown:\n${detail}\n`);
    const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    sendEvent(Event.goodbye, { reason: `${what} in the worker (${summary})`, fatal: true } satisfies GoodbyeMessage);
    process.exit(WorkerExitCode.internalError);
  };
  process.on("uncaughtException", (error) => exitOnFatal("uncaught exception", error));
  process.on("unhandledRejection", (reason) => exitOnFatal("unhandled rejection", reason));
}

/** How long the channel stays half-open after a protocol violation, so the peer reads the goodbye. */
const VIOLATION_LINGER_MS = 1_000;

/** How long shutdown waits for requests to clean up before the worker exits anyway. */
const SHUTDOWN_DRAIN_LIMIT_MS = 5_000;

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
