import net from "node:net";
import { Event, WorkerExitCode, type GoodbyeMessage } from "@rein/protocol";
import type { AnyOpDefinition } from "./ops/define-op.ts";
import { WorkerHost } from "./worker-host.ts";

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
  const host = new WorkerHost({ ops: options.ops });
  let exitCode = 0;
  const connection = host.connect(socket, {
    trust: "local",
    onViolation: (error) => {
      // The peer broke the protocol: tell it why (the outgoing direction still works), then leave.
      exitCode = WorkerExitCode.protocolViolation;
      process.stderr.write(`rein worker: ${error.message}; closing the channel\n`);
      connection.sendEvent(Event.goodbye, { reason: error.reason, fatal: false } satisfies GoodbyeMessage);
      // Half-close and keep reading (the reader drops it all): a peer still writing then reads the goodbye
      // instead of failing with EPIPE and losing it. A peer that never closes its side gets a bound.
      socket.end();
      setTimeout(() => socket.destroy(), VIOLATION_LINGER_MS);
    },
  });
  const sendEvent = connection.sendEvent;
  const shutdown = () => host.shutdown();

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
