import { InvalidInputError } from "@rein/protocol";

/**
 * A worker a model can be delegated to: a HyperDHT peer by its public key (64 hex characters, printed by
 * `rein serve --p2p`), or a Rein server by its WebSocket URL.
 */
export type PeerAddress = string | { url: string; apiKey?: string };

/**
 * How a pool picks the peer for each new request. `leastBusy` (default): the fewest requests running and
 * queued on the model, as the peers themselves last reported (plus what this client sent since);
 * `roundRobin`: in turn; `random`. A call's own `peer` option names one directly.
 */
export type PeerRouting = "leastBusy" | "roundRobin" | "random";

export interface DelegateOptions {
  /** The one peer that serves the model. */
  peer?: PeerAddress;
  /** Several peers that serve the same model: a pool. */
  peers?: PeerAddress[];
  routing?: PeerRouting;
  /** HyperDHT bootstrap nodes (`host:port`) for these peers; default: the client's, else the public DHT. */
  bootstrap?: string[];
}

/** One peer of a delegation, checked: its route key and how to reach it. */
export interface ResolvedPeer {
  /** `peer:<public key>` or `url:<url>`: the same peer gets the same key (and the same connection). */
  key: string;
  address: { publicKey: string } | { url: string; apiKey?: string };
}

export interface ResolvedDelegation {
  peers: ResolvedPeer[];
  routing: PeerRouting;
  bootstrap: string[] | undefined;
}

const ROUTINGS: readonly PeerRouting[] = ["leastBusy", "roundRobin", "random"];
const PUBLIC_KEY = /^[0-9a-f]{64}$/i;

const refuse = (field: string, reason: string, operation = "loadModel") => new InvalidInputError({ field, reason, operation });

/**
 * Checks `loadModel({ delegate })` and names the offending field.
 *
 * @example
 * ```ts
 * resolveDelegation({ peers: [keyA, keyB], routing: "roundRobin" });
 * // -> { peers: [{ key: "peer:…", address: { publicKey } }, …], routing: "roundRobin", bootstrap: undefined }
 * ```
 */
export function resolveDelegation(delegate: unknown): ResolvedDelegation {
  if (typeof delegate !== "object" || delegate === null || Array.isArray(delegate)) throw refuse("delegate", "must be an object: { peer } or { peers, routing? }");
  const { peer, peers, routing, bootstrap, ...rest } = delegate as DelegateOptions;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw refuse(`delegate.${unknown}`, "is not an option of delegate (peer, peers, routing, bootstrap)");
  if ((peer === undefined) === (peers === undefined)) throw refuse("delegate", "give exactly one of peer or peers");
  if (peers !== undefined && (!Array.isArray(peers) || peers.length === 0)) throw refuse("delegate.peers", "must be a non-empty array of peer addresses");
  const list = peers ?? [peer];
  const resolved = list.map((address, index) => resolvePeer(address, peers === undefined ? "delegate.peer" : `delegate.peers.${index}`));
  const keys = new Set(resolved.map((entry) => entry.key));
  if (keys.size !== resolved.length) throw refuse("delegate.peers", "names the same peer twice");
  if (routing !== undefined && !ROUTINGS.includes(routing)) throw refuse("delegate.routing", `must be one of ${ROUTINGS.join(", ")}`);
  if (bootstrap !== undefined && (!Array.isArray(bootstrap) || bootstrap.some((node) => typeof node !== "string" || !/^[^\s:]+:\d{1,5}$/.test(node)))) {
    throw refuse("delegate.bootstrap", "must be an array of host:port strings");
  }
  return { peers: resolved, routing: routing ?? "leastBusy", bootstrap };
}

/** Turns a call's `peer` option into the key of a pool member (for direct routing). */
export function peerKeyOf(address: unknown, field: string, operation: string): string {
  return resolvePeer(address, field, operation).key;
}

function resolvePeer(address: unknown, field: string, operation = "loadModel"): ResolvedPeer {
  if (typeof address === "string") {
    if (!PUBLIC_KEY.test(address)) throw refuse(field, "must be a peer's public key (64 hex characters) or { url, apiKey? }", operation);
    const publicKey = address.toLowerCase();
    return { key: `peer:${publicKey}`, address: { publicKey } };
  }
  if (typeof address === "object" && address !== null && typeof (address as { url?: unknown }).url === "string") {
    const { url, apiKey } = address as { url: string; apiKey?: unknown };
    if (!/^wss?:\/\//.test(url)) throw refuse(`${field}.url`, "must be a ws:// or wss:// URL, e.g. ws://127.0.0.1:8080/rein", operation);
    if (apiKey !== undefined && typeof apiKey !== "string") throw refuse(`${field}.apiKey`, "must be a string", operation);
    return { key: `url:${url}`, address: apiKey === undefined ? { url } : { url, apiKey } };
  }
  throw refuse(field, "must be a peer's public key (64 hex characters) or { url, apiKey? }", operation);
}
