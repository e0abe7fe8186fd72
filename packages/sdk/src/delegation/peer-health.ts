import { Command, type WorkerStatus } from "@rein/protocol";
import type { Route } from "../client/route.ts";
import { newRequestId } from "../requests/request-id.ts";

export interface PeerHealthOptions {
  /** A status answer slower than this marks the peer down and drops its connection. Default 2,000 ms. */
  statusTimeoutMs?: number;
}

/**
 * What a client knows about one peer: whether it answers, and how busy it
 * said it was. A transport keep-alive notices a dead socket; this notices a
 * peer whose socket is open but that no longer answers (a stuck process, an
 * "open" P2P stream that carries nothing), and drops its connection so the
 * calls pending on it settle at once instead of waiting for the socket.
 *
 * @example
 * ```ts
 * const health = new PeerHealth(route);
 * await health.check(); // one status round trip (or a reconnect, when the peer was lost)
 * health.up; health.busy(remoteModelId);
 * ```
 */
export class PeerHealth {
  readonly route: Route;
  /** Answered its last status (or has just connected), and its connection is open. */
  #answering = true;
  #status: WorkerStatus | undefined;
  /** Requests this client sent to each model since the last status, which that status could not count. */
  readonly #sentSinceStatus = new Map<string, number>();
  #checking: Promise<void> | undefined;
  readonly #statusTimeoutMs: number;

  constructor(route: Route, options: PeerHealthOptions = {}) {
    this.route = route;
    this.#statusTimeoutMs = options.statusTimeoutMs ?? 2_000;
  }

  get up(): boolean {
    return this.#answering && this.route.supervisor.live !== undefined;
  }

  /** What the peer said in its last status answer (undefined before the first, and after a loss). */
  get status(): WorkerStatus | undefined {
    return this.#status;
  }

  /** The connection was lost: not up until a status (or a reconnect) says otherwise. */
  markDown(): void {
    this.#answering = false;
    this.#status = undefined;
  }

  /** Requests on `modelId` the peer runs or queues, by its last report plus what was sent since. */
  busy(modelId: string): number {
    const counts = this.#status?.models[modelId];
    return (counts ? counts.running + counts.queued : 0) + (this.#sentSinceStatus.get(modelId) ?? 0);
  }

  noteSent(modelId: string): void {
    this.#sentSinceStatus.set(modelId, (this.#sentSinceStatus.get(modelId) ?? 0) + 1);
  }

  /** One heartbeat: a status round trip on a live connection, a reconnect on a lost one. One at a time. */
  check(): Promise<void> {
    this.#checking ??= this.#checkOnce().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #checkOnce(): Promise<void> {
    const { supervisor } = this.route;
    if (supervisor.closed) return;
    const connection = supervisor.live;
    if (!connection) {
      // Lost: try again now, so the next request finds it back (its models are loaded again first).
      try {
        await supervisor.connect();
        this.#answering = true;
      } catch {
        this.markDown();
      }
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.#statusTimeoutMs);
      timer.unref();
    });
    const answer = connection.request(Command.call, { op: "workerStatus", requestId: newRequestId(), input: {} }).then(
      (value) => ({ value: value as WorkerStatus }),
      () => ({ value: undefined }),
    );
    const outcome = await Promise.race([answer, timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      // Open but silent: drop it, so what is pending on it settles now (PeerUnreachableError), not at a socket timeout.
      this.markDown();
      connection.kill();
      return;
    }
    if (connection.closed) return this.markDown();
    // An error answer is still an answer (an older server without workerStatus): the peer is alive.
    this.#answering = true;
    if (outcome.value) {
      this.#status = outcome.value;
      this.#sentSinceStatus.clear();
    }
  }
}
