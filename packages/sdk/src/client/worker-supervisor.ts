import { WorkerShutdownError, type FrameMessage, type LogMessage, type ReinError, type WorkerConfig } from "@rein/protocol";
import type { TransportLink } from "../transport/transport-link.ts";
import { WorkerConnection } from "../transport/worker-connection.ts";

export interface SupervisorOptions {
  /** Opens a fresh link: spawns a worker, or connects to a remote one. Called again after each loss. */
  openLink: () => Promise<TransportLink>;
  config: WorkerConfig;
  startTimeoutMs?: number;
  /** How long `close()` lets the worker drain before killing it. */
  closeTimeoutMs?: number;
  onFrame: (message: FrameMessage) => void;
  onLog: (message: LogMessage) => void;
  /** The live worker went away (crash or close); every call sent to it must settle with `error`. */
  onWorkerGone: (error: ReinError) => void;
  /** Runs on a fresh worker after a crash, before any queued call uses it (model reload). */
  afterRestart?: (connection: WorkerConnection) => Promise<void>;
}

/**
 * Owns the worker's lifetime: started (or connected to) on first use, replaced
 * by a fresh one on the first call after a crash or a lost connection, stopped
 * (or left) by `close()`. After `close()` every call fails with
 * WorkerShutdownError; the client does not come back to life.
 */
export class WorkerSupervisor {
  readonly #options: SupervisorOptions;
  #connecting: Promise<WorkerConnection> | undefined;
  #live: WorkerConnection | undefined;
  #crashes = 0;
  #closed = false;

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The connection calls can be sent on right now, without waiting; undefined while starting or after a crash. */
  get live(): WorkerConnection | undefined {
    return this.#live && !this.#live.closed ? this.#live : undefined;
  }

  connect(): Promise<WorkerConnection> {
    if (this.#closed) return Promise.reject(new WorkerShutdownError());
    const live = this.live;
    if (live) return Promise.resolve(live);
    this.#connecting ??= this.#start().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #start(): Promise<WorkerConnection> {
    const isRestart = this.#crashes > 0;
    const connection = await WorkerConnection.start({
      link: await this.#options.openLink(),
      config: this.#options.config,
      startTimeoutMs: this.#options.startTimeoutMs,
      handlers: {
        onFrame: this.#options.onFrame,
        onLog: this.#options.onLog,
        onClosed: (error) => {
          if (this.#live === connection) this.#live = undefined;
          if (!this.#closed) this.#crashes += 1;
          this.#options.onWorkerGone(error);
        },
      },
    });
    if (this.#closed) {
      // close() ran while this worker was starting: do not leave it behind.
      await connection.shutdown();
      throw new WorkerShutdownError();
    }
    if (isRestart && this.#options.afterRestart) {
      try {
        await this.#options.afterRestart(connection);
      } catch (error) {
        // Never leave a half-prepared worker behind.
        await connection.shutdown(this.#options.closeTimeoutMs);
        throw error;
      }
    }
    this.#live = connection;
    return connection;
  }

  /** Drains and stops the worker (it cancels everything and frees its models first). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#live ?? (await this.#connecting?.catch(() => undefined));
    await connection?.shutdown(this.#options.closeTimeoutMs);
  }
}
