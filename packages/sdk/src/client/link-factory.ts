import path from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidInputError, type WorkerConfig } from "@rein/protocol";
import { openPeerLink } from "../transport/peer-link.ts";
import { spawnProcessLink } from "../transport/process-link.ts";
import { streamLink } from "../transport/stream-link.ts";
import type { TransportLink } from "../transport/transport-link.ts";
import { openWebSocketLink } from "../transport/websocket-link.ts";
import type { ClientOptions } from "./client-options.ts";
import { clampThreads, defaultThreadCount } from "./thread-count.ts";

/** Settings that configure a worker: only the process that spawns one may set them. */
const LOCAL_ONLY_OPTIONS = ["threads", "policies", "cacheDir", "opModules", "workerEntry", "workerStdio"] as const;

export interface LinkPlan {
  openLink: () => Promise<TransportLink>;
  /** The handshake's config: the whole config for a worker this client spawns, nothing for a shared one. */
  config: WorkerConfig;
  remote: boolean;
}

/**
 * Decides how a client reaches its worker: a WebSocket (`url`), a peer on the
 * HyperDHT (`peer`), a stream of the app's own (`connect`), or a worker
 * process it spawns (the default).
 * Throws InvalidInputError, naming the option, for combinations that cannot
 * work (a remote worker is configured by its operator, not by its clients).
 *
 * @example
 * ```ts
 * const plan = planLink({ url: "ws://127.0.0.1:8080/rein", apiKey: "secret" });
 * const link = await plan.openLink();
 * ```
 */
export function planLink(options: ClientOptions): LinkPlan {
  const remotes = (["url", "connect", "peer"] as const).filter((name) => options[name] !== undefined);
  if (remotes.length > 1) {
    throw new InvalidInputError({ field: remotes[1]!, reason: `give one of url, connect or peer, not ${remotes.join(" and ")}`, operation: "createClient" });
  }
  // `bootstrap` and `keyPair` also serve models delegated to peers, so they are fine without `peer`.
  if (remotes.length > 0) return planRemote(options);
  const opModules = options.opModules?.map((source) => (source instanceof URL ? fileURLToPath(source) : source));
  return {
    remote: false,
    openLink: async () =>
      spawnProcessLink({
        workerEntry: options.workerEntry,
        stdio: options.workerStdio,
        opModules,
        // The worker reads its start-up caches (the V8 code cache) before the handshake brings the config: it
        // finds the client's cache dir in its environment too.
        env: options.cacheDir === undefined ? undefined : { ...process.env, REIN_CACHE_DIR: path.resolve(options.cacheDir) },
      }),
    config: {
      policies: options.policies,
      defaultThreads: options.threads !== undefined ? clampThreads(options.threads, "createClient({ threads })") : clampThreads(defaultThreadCount(), "REIN_THREADS"),
      cacheDir: options.cacheDir,
      opModules,
      forwardLogs: options.logger !== undefined,
    },
  };
}

function planRemote(options: ClientOptions): LinkPlan {
  const via = options.url !== undefined ? "url" : options.peer !== undefined ? "peer" : "connect";
  for (const name of LOCAL_ONLY_OPTIONS) {
    if (options[name] !== undefined) {
      throw new InvalidInputError({ field: name, reason: `configures a local worker; a remote one (${via}) is configured by its operator`, operation: "createClient" });
    }
  }
  const connectTimeoutMs = options.startTimeoutMs ?? 10_000;
  if (options.connect !== undefined) {
    const connect = options.connect;
    return { remote: true, config: {}, openLink: async () => streamLink(await connect(), { address: "a custom connection" }) };
  }
  if (options.peer !== undefined) {
    const publicKey = options.peer;
    if (typeof publicKey !== "string" || !/^[0-9a-f]{64}$/i.test(publicKey)) {
      throw new InvalidInputError({ field: "peer", reason: "must be the peer's public key, 64 hex characters (what `rein serve --p2p` prints)", operation: "createClient" });
    }
    const { bootstrap, keyPair } = options;
    // openPeerLink imports @rein/p2p on first use: a client that never talks to a peer never loads hyperdht.
    return { remote: true, config: {}, openLink: () => openPeerLink({ publicKey, bootstrap, keyPair, connectTimeoutMs }) };
  }
  const url = options.url!;
  if (!/^wss?:\/\//.test(url)) {
    throw new InvalidInputError({ field: "url", reason: "must be a ws:// or wss:// URL, e.g. ws://127.0.0.1:8080/rein", operation: "createClient" });
  }
  const apiKey = options.apiKey ?? process.env.REIN_API_KEY;
  return { remote: true, config: {}, openLink: () => openWebSocketLink({ url, apiKey: apiKey || undefined, connectTimeoutMs }) };
}
