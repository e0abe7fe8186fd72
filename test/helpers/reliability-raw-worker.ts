/**
 * Drives a real worker process over its bare-rpc pipe without the SDK, so that
 * tests can send what the SDK never would: unknown commands, payloads that are
 * not JSON or are too large, inputs that skip client validation, and raw bytes
 * that are not a valid frame at all.
 *
 * @example
 * ```ts
 * const worker = await startRawWorker();
 * const reply = await worker.request(99, {});      // an unknown command
 * expect(reply.ok).toBe(false);
 * await worker.stop();
 * ```
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Duplex } from "node:stream";
import {
  Command,
  decodeJson,
  deserializeError,
  encodeJson,
  Event,
  PROTOCOL_VERSION,
  type FrameMessage,
  type GoodbyeMessage,
  type HandshakeReply,
  type LogMessage,
  type ReinError,
  type WorkerConfig,
  type WorkerSnapshot,
} from "@rein/protocol";
import RPC from "bare-rpc";

const require = createRequire(import.meta.url);
const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const WORKER_ENTRY = path.join(repositoryRoot, "packages/server/src/worker-entry.ts");

/** A reply as the worker sent it, error rebuilt into its typed class. */
export type RawReply = { ok: true; value: unknown } | { ok: false; error: ReinError };

export interface RawWorker {
  readonly child: ChildProcess;
  /** The fd-3 pipe: write raw bytes here to inject transport faults. */
  readonly pipe: Duplex;
  readonly pid: number;
  /** Lifecycle and error lines the worker forwarded (after a handshake with `forwardLogs`). */
  readonly logs: LogMessage[];
  readonly frames: FrameMessage[];
  /** What the worker said as it closed the channel (a protocol violation, a fatal error). */
  readonly goodbyes: GoodbyeMessage[];
  /** The worker's stderr, as text, when started with `captureStderr`. */
  readonly stderr: () => string;
  /** Settles once, when the process is gone. */
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  readonly alive: boolean;
  /**
   * Sends one command. `payload` is JSON-encoded unless it is a Buffer (sent
   * as is). Resolves with the decoded reply; rejects only when the transport
   * itself failed (channel closed, bare-rpc level error).
   */
  request(command: number, payload: unknown): Promise<RawReply>;
  handshake(config?: WorkerConfig): Promise<HandshakeReply>;
  inspect(): Promise<WorkerSnapshot>;
  /** A `call` command: resolves with the op's value or rejects with its typed error. */
  call(op: string, input: unknown, extra?: { requestId?: string; timeoutMs?: number; parentRequestId?: string }): Promise<unknown>;
  /** Writes bytes straight onto the pipe, bypassing bare-rpc's framing. */
  writeRaw(bytes: Buffer): void;
  /** Closes the pipe (the worker exits on its end) and waits for the exit; SIGKILL when it lingers. */
  stop(): Promise<{ exitCode: number | null; signal: string | null }>;
}

/** Spawns `node --import tsx packages/server/src/worker-entry.ts` with the RPC pipe on fd 3. */
export async function startRawWorker(options: { env?: NodeJS.ProcessEnv; captureStderr?: boolean; entry?: string } = {}): Promise<RawWorker> {
  const loader = pathToFileURL(require.resolve("tsx")).href;
  const child = spawn(process.execPath, ["--import", loader, options.entry ?? WORKER_ENTRY], {
    stdio: ["ignore", "inherit", options.captureStderr ? "pipe" : "inherit", "pipe"],
    env: { ...process.env, ...options.env },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const pipe = child.stdio[3] as Duplex;
  pipe.on("error", () => undefined);
  let alive = true;
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
    child.once("exit", (exitCode, signal) => {
      alive = false;
      resolve({ exitCode, signal });
    });
  });
  const logs: LogMessage[] = [];
  const frames: FrameMessage[] = [];
  const goodbyes: GoodbyeMessage[] = [];
  const rpc = new RPC(pipe as unknown as ConstructorParameters<typeof RPC>[0], (incoming) => {
    try {
      if (incoming.command === Event.log) logs.push(decodeJson(incoming.data) as LogMessage);
      else if (incoming.command === Event.frame) frames.push(decodeJson(incoming.data) as FrameMessage);
      else if (incoming.command === Event.goodbye) goodbyes.push(decodeJson(incoming.data) as GoodbyeMessage);
    } catch {
      // Not a reliability concern of the harness itself.
    }
  });

  const request = async (command: number, payload: unknown): Promise<RawReply> => {
    const outgoing = rpc.request(command);
    outgoing.send(Buffer.isBuffer(payload) ? payload : encodeJson(payload));
    const raw = await outgoing.reply();
    const reply = decodeJson(raw as Buffer) as { ok: boolean; value?: unknown; error?: unknown };
    return reply.ok ? { ok: true, value: reply.value } : { ok: false, error: deserializeError(reply.error) };
  };
  const unwrap = async (command: number, payload: unknown): Promise<unknown> => {
    const reply = await request(command, payload);
    if (reply.ok) return reply.value;
    throw reply.error;
  };

  return {
    child,
    pipe,
    pid: child.pid!,
    logs,
    frames,
    goodbyes,
    stderr: () => stderr,
    exited,
    get alive() {
      return alive;
    },
    request,
    handshake: (config = {}) => unwrap(Command.handshake, { protocolVersion: PROTOCOL_VERSION, config }) as Promise<HandshakeReply>,
    inspect: () => unwrap(Command.inspect, {}) as Promise<WorkerSnapshot>,
    call: (op, input, extra = {}) => unwrap(Command.call, { op, requestId: extra.requestId ?? randomUUID(), input, ...extra }),
    writeRaw: (bytes) => {
      pipe.write(bytes);
    },
    stop: async () => {
      if (alive) {
        pipe.end();
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        try {
          return await exited;
        } finally {
          clearTimeout(killer);
        }
      }
      return exited;
    },
  };
}

/**
 * A bare-rpc frame built by hand: `uint32 LE length` then the body. With
 * `claimedLength` larger than the body it is a truncated frame.
 */
export function rawFrame(body: number[] | Buffer, claimedLength?: number): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const header = Buffer.alloc(4);
  header.writeUInt32LE(claimedLength ?? bytes.length, 0);
  return Buffer.concat([header, bytes]);
}
