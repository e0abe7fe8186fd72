import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createFrameGuard, Event, encodeJson, WorkerStartFailedError, type LogMessage, type WorkerConfig } from "@rein/protocol";
import RPC from "bare-rpc";
import { getModuleVersion } from "node-llama-cpp";
import { defaultCacheDir } from "./download/default-cache-dir.ts";
import { DownloadManager } from "./download/index.ts";
import { ModelStore } from "./engine/model-store.ts";
import { endGroup } from "./ops/builtin/group-op.ts";
import { builtinOps } from "./ops/builtin/index.ts";
import { unloadModel } from "./ops/controls/unload-model.ts";
import type { AnyOpDefinition } from "./ops/define-op.ts";
import { defaultPolicies } from "./default-policies.ts";
import { RequestRegistry, type LifecycleLogEntry } from "./registry/index.ts";
import { Dispatcher, type ControlHandler } from "./transport/dispatcher.ts";
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
  };
  const ops = new Map<string, AnyOpDefinition>();
  for (const op of [...builtinOps, ...(options.ops ?? [])]) registerOp(ops, op);
  const controls = new Map<string, ControlHandler>([
    ["unloadModel", unloadModel],
    ["endGroup", endGroup],
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
    })();
    return shuttingDown;
  };

  const dispatcher = new Dispatcher({
    services,
    ops,
    controls,
    engineVersion: () => getModuleVersion(),
    sendFrame: (requestId, frame) => sendEvent(Event.frame, { requestId, frame }),
    shutdown,
    configure: async (config: WorkerConfig) => {
      forwardLogs = config.forwardLogs === true;
      if (config.defaultThreads) services.defaultThreads = config.defaultThreads;
      if (config.cacheDir) {
        services.cacheDir = path.resolve(config.cacheDir);
        services.downloads = new DownloadManager({ cacheDir: path.join(services.cacheDir, "downloads") });
      }
      for (const [kind, policy] of Object.entries(config.policies ?? {})) registry.setPolicy(kind as never, policy);
      for (const moduleSource of config.opModules ?? []) {
        for (const op of await importOps(moduleSource)) registerOp(ops, op);
      }
    },
  });
  // Before bare-rpc sees the bytes: a truncated or absurd frame would make it wait forever.
  const frameGuard = createFrameGuard({
    onViolation: (error) => {
      process.stderr.write(`rein worker: ${error.message}; closing the channel\n`);
      socket.destroy(error);
    },
  });
  socket.on("data", (chunk: Buffer) => frameGuard.observe(chunk));
  const rpc = new RPC(socket as unknown as ConstructorParameters<typeof RPC>[0], dispatcher.handle);

  // The parent closed the pipe (it exited, crashed, or called close()): stop whatever runs and leave.
  const exitWhenOrphaned = () => void shutdown().finally(() => process.exit(0));
  socket.on("end", exitWhenOrphaned);
  socket.on("close", exitWhenOrphaned);
  socket.on("error", () => undefined);

  // Ctrl+C in a terminal signals the whole process group, worker included. The parent decides what a
  // Ctrl+C means (cancel one reply, or shut down); the worker's lifetime is bound to the pipe instead.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", exitWhenOrphaned);

  // A stray rejection or exception in some callback must not take every request down with it.
  process.on("unhandledRejection", (reason) => log("error", `unhandled rejection in worker: ${String(reason)}`));
  process.on("uncaughtException", (error) => log("error", `uncaught exception in worker: ${error.stack ?? String(error)}`));
}

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

function registerOp(ops: Map<string, AnyOpDefinition>, op: AnyOpDefinition): void {
  if (ops.has(op.name)) throw new WorkerStartFailedError({ reason: `two ops are named "${op.name}"` });
  ops.set(op.name, op);
}

function isOpDefinition(value: unknown): value is AnyOpDefinition {
  const candidate = value as Partial<AnyOpDefinition> | null;
  return typeof candidate === "object" && candidate !== null && typeof candidate.name === "string" && typeof candidate.run === "function" && typeof candidate.kind === "string" && candidate.input !== undefined;
}

async function importOps(moduleSource: string): Promise<AnyOpDefinition[]> {
  const specifier = /^file:/.test(moduleSource) ? moduleSource : pathToFileURL(path.resolve(moduleSource)).href;
  let exported: Record<string, unknown>;
  try {
    exported = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new WorkerStartFailedError({ reason: `could not import op module ${moduleSource}: ${String(error)}`, cause: error });
  }
  const values = Object.values(exported).flatMap((value) => (Array.isArray(value) ? value : [value]));
  const found = values.filter(isOpDefinition);
  if (found.length === 0) throw new WorkerStartFailedError({ reason: `op module ${moduleSource} exports no op definitions` });
  return [...new Set(found)];
}

function lifecycleLine(entry: LifecycleLogEntry): [WorkerLogLevel, string, Record<string, unknown>] {
  const level: WorkerLogLevel = entry.state === "failed" ? "warn" : entry.event === "rejected" ? "warn" : "info";
  const message = `[request] ${entry.event} requestId=${entry.requestId} kind=${entry.kind} modelId=${entry.modelId ?? "-"} state=${entry.state} durationMs=${Math.round(entry.durationMs)}${entry.reason ? ` reason=${entry.reason}` : ""}`;
  return [level, message, { ...entry }];
}
