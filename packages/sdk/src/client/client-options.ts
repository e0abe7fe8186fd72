import type { Duplex } from "node:stream";
import type { ConcurrencyPolicy, LogMessage, RequestKind } from "@rein/protocol";
import type { PeerKeyPair } from "../transport/peer-link.ts";

/** Receives the worker's request lifecycle lines (begin, queued, cancel, end) and client notices. */
export type ReinLogger = (entry: LogMessage) => void;

export interface ClientOptions {
  /**
   * A Rein server to use instead of a local worker: `ws://host:port/rein` (`rein serve`). The same API as a
   * local client; the server's operator owns its configuration, so `threads`, `policies`, `cacheDir`,
   * `opModules` and `workerEntry` cannot be combined with it. A lost connection settles every pending call
   * with `ServerUnreachableError`; the next call connects again.
   */
  url?: string;
  /**
   * A Rein peer on the HyperDHT instead of a local worker: its public key, 64 hex characters (`rein serve --p2p`
   * prints it). Needs the `@rein/p2p` package. The same API as a local client; like `url`, it cannot be combined
   * with the options that configure a local worker. A dropped peer settles every pending call with
   * `PeerUnreachableError` (within ~3 s of its death); the next call connects again.
   */
  peer?: string;
  /**
   * DHT bootstrap nodes (`host:port`) for `peer` and for models delegated to peers (`loadModel({ delegate })`);
   * default hyperdht's public ones. Tests pass a local testnet.
   */
  bootstrap?: string[];
  /**
   * This client's identity for `peer` and delegated peers (what the peer's operator `--allow`s): a key pair, or the file that keeps
   * one. Default `<cache>/p2p/client-key-pair.json`, created on first use (`rein p2p key` prints its public key).
   */
  keyPair?: PeerKeyPair | string;
  /** The server's API key (`rein serve --api-key`, or `REIN_API_KEY` when unset), sent as a Bearer token. */
  apiKey?: string;
  /**
   * Advanced: opens a byte stream to a Rein worker host of your own (an in-process host, a custom
   * transport). Called for every (re)connection. Like `url`, the other side owns the configuration.
   */
  connect?: () => Duplex | Promise<Duplex>;
  /**
   * Threads for models whose `modelConfig.threads` is unset. Default: `REIN_THREADS`, else half the cores (at
   * least 1). More than the cores is clamped to the cores with a `REIN_THREADS_CLAMPED` process warning.
   */
  threads?: number;
  /** Concurrency policy per request kind, e.g. `{ completion: oneAtATimePerModel }`. */
  policies?: Partial<Record<RequestKind, ConcurrencyPolicy>>;
  logger?: ReinLogger;
  /** Where the worker keeps downloads. Default: `REIN_CACHE_DIR`, else the per-user cache (`$XDG_CACHE_HOME/rein` or `~/.cache/rein`, `~/Library/Caches/rein`, `%LOCALAPPDATA%\rein\cache`). */
  cacheDir?: string;
  /** Modules whose exported `defineOp(...)` definitions the worker registers (custom ops). */
  opModules?: (string | URL)[];
  /** A worker entry of your own (a file that calls `startWorker`). */
  workerEntry?: string;
  /** The worker's stdout/stderr: shared with this process (default) or discarded. */
  workerStdio?: "inherit" | "ignore";
  /** How long the worker may take to start and answer the handshake (default 60 s). */
  startTimeoutMs?: number;
  /** How long `close()` lets requests clean up before the worker is killed (default 10 s). */
  closeTimeoutMs?: number;
  /**
   * After a worker crash, load again the models that were loaded (same source
   * and config, so the same ids) before the next call runs. Off by default: a
   * crash loses every model, and reloading a large one silently may surprise.
   */
  reloadModelsOnRestart?: boolean;
  /** Cancel everything, close the worker and exit on SIGINT/SIGTERM (a second SIGINT exits at once). */
  handleSignals?: boolean;
}

/** Options every cancellable call accepts. */
export interface RequestOptions {
  /** Your own UUIDv4 for the request; one is made when absent. */
  requestId?: string;
  /** Aborting it behaves exactly like `cancel({ requestId })`; an already-aborted signal sends nothing. */
  signal?: AbortSignal;
  /** Deadline for the whole request, queue wait included, enforced by the worker. */
  timeoutMs?: number;
  /** Cancelling the parent cancels this request; its deadline never outlives the parent's. */
  parent?: string | { readonly requestId: string };
}
