import type { CancelReason, FrameMessage, ReinError, WorkerConfig } from "@rein/protocol";
import type { TransportLink } from "../transport/transport-link.ts";
import type { ReinLogger } from "./client-options.ts";
import { ModelLedger } from "./model-ledger.ts";
import { RequestLauncher } from "./request-launcher.ts";
import { WorkerSupervisor } from "./worker-supervisor.ts";

export interface RouteOptions {
  /** Names the worker in logs: "local", or the peer / server it reaches. */
  name: string;
  openLink: () => Promise<TransportLink>;
  config: WorkerConfig;
  /** A worker this client did not spawn (a server, a peer): shared, configured by its operator. */
  remote: boolean;
  startTimeoutMs?: number;
  closeTimeoutMs?: number;
  logger?: ReinLogger;
  /** Load this route's models again on a fresh worker or connection before its next call. */
  reloadModels: boolean;
  /** The client's cancel by id (an AbortSignal of a request on this route ends up there). */
  cancelById: (requestId: string, reason: CancelReason) => Promise<unknown>;
  /** The worker went away; every call sent to it has settled with `error`. */
  onGone?: (error: ReinError) => void;
}

/**
 * One worker a client sends requests to: its own spawned worker, a Rein
 * server, or a peer a model was delegated to. Each route has its own
 * connection (restarted on the next call after a loss), its requests in
 * flight, and a ledger of the models this client loaded on it.
 *
 * @example
 * ```ts
 * const route = new Route({ name: "local", openLink, config, remote: false, reloadModels: false, cancelById });
 * const request = route.requests.launch({ op: "embed", kind: "embeddings", input: { modelId, text: "hi" } });
 * ```
 */
export class Route {
  readonly name: string;
  readonly remote: boolean;
  readonly supervisor: WorkerSupervisor;
  readonly requests: RequestLauncher;
  readonly models = new ModelLedger();

  constructor(options: RouteOptions) {
    this.name = options.name;
    this.remote = options.remote;
    const { logger } = options;
    this.supervisor = new WorkerSupervisor({
      openLink: options.openLink,
      startTimeoutMs: options.startTimeoutMs,
      closeTimeoutMs: options.closeTimeoutMs,
      config: options.config,
      onFrame: (message: FrameMessage) => this.requests.route(message),
      onLog: (message) => logger?.(message),
      onWorkerGone: (error) => {
        this.requests.failSent(error);
        // Models die with their worker; remember them only when they are to be loaded again.
        if (!options.reloadModels) this.models.clear();
        options.onGone?.(error);
      },
      afterRestart: options.reloadModels
        ? (connection) =>
            this.models.reload(connection, (modelId, error) =>
              logger?.({
                level: "warn",
                message: `model ${modelId} could not be loaded again on ${this.name} after its worker restarted: ${error instanceof Error ? error.message : String(error)}`,
                data: { modelId },
              }),
            )
        : undefined,
    });
    this.requests = new RequestLauncher(this.supervisor, options.cancelById);
  }
}
