import {
  Command,
  decodeJson,
  deserializeError,
  encodeJson,
  Event,
  PROTOCOL_VERSION,
  WorkerCrashedError,
  WorkerShutdownError,
  WorkerStartFailedError,
  type CallReply,
  type FrameMessage,
  type HandshakeReply,
  type LogMessage,
  type ReinError,
  type WorkerConfig,
} from "@rein/protocol";
import RPC from "bare-rpc";
import { spawnWorker, type SpawnWorkerOptions } from "./spawn-worker.ts";

export interface ConnectionHandlers {
  onFrame: (message: FrameMessage) => void;
  onLog: (message: LogMessage) => void;
  /** Called once when the worker is gone; `error` is what every pending call got. */
  onClosed: (error: ReinError) => void;
}

/**
 * One live worker process and its RPC channel. Every request is raced against
 * the worker's life: bare-rpc alone does not settle every pending call when
 * the other side dies, and a call that never settles is the bug this SDK
 * exists to rule out.
 */
export class WorkerConnection {
  readonly #rpc: RPC;
  readonly #worker: ReturnType<typeof spawnWorker>;
  readonly #gone: Promise<never>;
  #closedError: ReinError | undefined;
  #closing = false;
  handshake: HandshakeReply | undefined;

  private constructor(worker: ReturnType<typeof spawnWorker>, handlers: ConnectionHandlers) {
    this.#worker = worker;
    this.#rpc = new RPC(worker.channel as unknown as ConstructorParameters<typeof RPC>[0], (incoming) => {
      // Never throw out of here: an exception in an event handler destroys the whole channel.
      try {
        if (incoming.command === Event.frame) handlers.onFrame(decodeJson(incoming.data) as FrameMessage);
        else if (incoming.command === Event.log) handlers.onLog(decodeJson(incoming.data) as LogMessage);
      } catch {
        // A frame we cannot read is dropped; the call it belongs to still settles through its reply.
      }
    });
    worker.channel.on("error", () => undefined);
    this.#gone = worker.exited.then(({ exitCode, signal }) => {
      const error = this.#closing ? new WorkerShutdownError() : new WorkerCrashedError({ exitCode, signal });
      this.#closedError = error;
      worker.channel.destroy();
      handlers.onClosed(error);
      throw error;
    });
    this.#gone.catch(() => undefined);
  }

  /** Spawns a worker and completes the version handshake, or fails with WorkerStartFailedError. */
  static async start(options: {
    spawn?: SpawnWorkerOptions;
    config: WorkerConfig;
    handlers: ConnectionHandlers;
    startTimeoutMs?: number;
  }): Promise<WorkerConnection> {
    const connection = new WorkerConnection(spawnWorker(options.spawn), options.handlers);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WorkerStartFailedError({ reason: `no handshake within ${options.startTimeoutMs ?? 60_000} ms` })),
        options.startTimeoutMs ?? 60_000,
      );
    });
    try {
      const reply = (await Promise.race([
        connection.request(Command.handshake, { protocolVersion: PROTOCOL_VERSION, config: options.config }),
        timeout,
      ])) as HandshakeReply;
      connection.handshake = reply;
      return connection;
    } catch (error) {
      connection.kill();
      if (WorkerCrashedError.isInstance(error)) {
        throw new WorkerStartFailedError({ reason: `the worker exited during start (${error.message})`, cause: error });
      }
      throw WorkerStartFailedError.isInstance(error) ? error : new WorkerStartFailedError({ reason: String((error as Error).message ?? error), cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  get pid(): number | undefined {
    return this.#worker.child.pid;
  }

  get closed(): boolean {
    return this.#closedError !== undefined;
  }

  /** Sends one command and resolves its `value`, or rejects with the rebuilt typed error. */
  async request(command: number, payload: unknown): Promise<unknown> {
    if (this.#closedError) throw this.#closedError;
    const outgoing = this.#rpc.request(command);
    outgoing.send(encodeJson(payload));
    const raw = await Promise.race([outgoing.reply(), this.#gone]).catch((error: unknown) => {
      // bare-rpc's CHANNEL_CLOSED races our exit detection; report the worker's fate, not the socket's.
      if (this.#closedError) throw this.#closedError;
      return this.#gone.then(() => {
        throw error;
      });
    });
    const reply = decodeJson(raw as Buffer) as CallReply;
    if (reply.ok) return reply.value;
    throw deserializeError(reply.error);
  }

  /** Asks the worker to cancel everything, free its models and exit; resolves when the process is gone. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    if (this.#closedError) return;
    try {
      await this.request(Command.shutdown, {});
    } catch {
      // Already dying: the exit below is what matters.
    }
    this.#worker.channel.end();
    await this.#gone.catch(() => undefined);
  }

  /** Hard stop (failed start, or a test that simulates a crash via SIGKILL). */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    this.#worker.child.kill(signal);
  }
}
