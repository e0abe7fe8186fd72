import { createHash } from "node:crypto";
import { Command, InvalidInputError, type LoadModelInput, type ReinError } from "@rein/protocol";
import type { Route } from "../client/route.ts";
import { newRequestId } from "../requests/request-id.ts";
import { peerKeyOf, type PeerRouting, type ResolvedPeer } from "./delegate-options.ts";
import { PeerHealth } from "./peer-health.ts";

export interface DelegationsOptions {
  /** Makes the route to a peer (its connection opens on first use). `onGone` must be called when it is lost. */
  createRoute: (peer: ResolvedPeer, bootstrap: string[] | undefined, onGone: (error: ReinError) => void) => Route;
  /** How often every peer with a delegated model is asked for its status. Default 1,000 ms. */
  heartbeatMs?: number;
  statusTimeoutMs?: number;
}

/** One peer as `client.peers()` reports it. */
export interface PeerInfo {
  /** `peer:<public key>` or `url:<url>`. */
  peer: string;
  /** It answered the status just asked (or its connection was just made again). */
  up: boolean;
  /** Requests it runs and queues for every caller, as it said; null when it did not answer. */
  running: number | null;
  queued: number | null;
}

/** Where one request on a delegated model goes. */
export interface DelegatedTarget {
  route: Route;
  /** The model's id on that peer (each peer names its own copy). */
  remoteModelId: string;
}

interface DelegatedModel {
  members: { health: PeerHealth; remoteModelId: string }[];
  routing: PeerRouting;
  /** Loads of this client that hold it (each took one reference on every peer copy). */
  references: number;
  /** Next member for round robin, and the tie-breaker of leastBusy. */
  turn: number;
}

/**
 * The models this client delegated to other workers, and the routes to those
 * workers. Every request on a delegated model goes to one of its peers (named,
 * or picked by the model's routing among the peers that answer); local models
 * never leave the local worker.
 *
 * @example
 * ```ts
 * const target = delegations.pick(modelId); // { route, remoteModelId }
 * ```
 */
export class Delegations {
  readonly #options: DelegationsOptions;
  readonly #peers = new Map<string, PeerHealth>();
  readonly #models = new Map<string, DelegatedModel>();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(options: DelegationsOptions) {
    this.#options = options;
  }

  has(modelId: string | undefined): modelId is string {
    return modelId !== undefined && this.#models.has(modelId);
  }

  /** How many peers this client opened routes to (0 for a client that never delegated: its fast paths stay as they are). */
  get peerCount(): number {
    return this.#peers.size;
  }

  /** Every route to a peer this client opened. */
  routes(): Route[] {
    return [...this.#peers.values()].map((health) => health.route);
  }

  /** Each peer copy of a delegated model. */
  targetsOf(modelId: string): DelegatedTarget[] {
    return (this.#models.get(modelId)?.members ?? []).map(({ health, remoteModelId }) => ({ route: health.route, remoteModelId }));
  }

  /** The route to a peer, made on first use; the same peer always gets the same route. */
  routeTo(peer: ResolvedPeer, bootstrap: string[] | undefined): Route {
    let health = this.#peers.get(peer.key);
    if (!health) {
      const route = this.#options.createRoute(peer, bootstrap, () => this.#peers.get(peer.key)?.markDown());
      health = new PeerHealth(route, { statusTimeoutMs: this.#options.statusTimeoutMs });
      this.#peers.set(peer.key, health);
    }
    return health.route;
  }

  /** The id the app uses for a model delegated to `peerKeys`: the same model on the same peers (and routing), the same id. */
  static modelIdFor(peerKeys: readonly string[], input: LoadModelInput, routing: PeerRouting = "leastBusy"): string {
    const digest = createHash("sha256")
      .update(JSON.stringify({ peers: [...peerKeys].sort(), routing, modelSrc: input.modelSrc, modelConfig: input.modelConfig ?? null, sha256: input.sha256 ?? null }))
      .digest("hex");
    return `delegated-${digest.slice(0, 24)}`;
  }

  /** Records a finished delegated load (every peer loaded its copy). */
  register(modelId: string, members: { peerKey: string; remoteModelId: string }[], routing: PeerRouting): void {
    const existing = this.#models.get(modelId);
    if (existing) {
      existing.references += 1;
      return;
    }
    this.#models.set(modelId, {
      members: members.map(({ peerKey, remoteModelId }) => ({ health: this.#peers.get(peerKey)!, remoteModelId })),
      routing,
      references: 1,
      turn: 0,
    });
    this.#startHeartbeat();
  }

  /**
   * The peer for a new request on `modelId`: the one named by `peer`, else one the model's routing picks
   * among the peers that answer (all of them, when none does: the call then reconnects or fails typed).
   * Never a retry: a request that failed on one peer is not sent again to another.
   */
  pick(modelId: string, peer?: unknown, operation = "call"): DelegatedTarget {
    const model = this.#models.get(modelId)!;
    if (peer !== undefined) {
      const key = peerKeyOf(peer, "peer", operation);
      const member = model.members.find(({ health }) => health.route.name === key);
      if (!member) throw new InvalidInputError({ field: "peer", reason: `is not one of the peers model ${modelId} is delegated to`, operation });
      member.health.noteSent(member.remoteModelId);
      return { route: member.health.route, remoteModelId: member.remoteModelId };
    }
    const answering = model.members.filter(({ health }) => health.up);
    const candidates = answering.length > 0 ? answering : model.members;
    const start = model.turn++ % candidates.length;
    const rotated = [...candidates.slice(start), ...candidates.slice(0, start)];
    let chosen = rotated[0]!;
    if (model.routing === "random") chosen = candidates[Math.floor(Math.random() * candidates.length)]!;
    else if (model.routing === "leastBusy") {
      for (const member of rotated) if (member.health.busy(member.remoteModelId) < chosen.health.busy(chosen.remoteModelId)) chosen = member;
    }
    chosen.health.noteSent(chosen.remoteModelId);
    return { route: chosen.health.route, remoteModelId: chosen.remoteModelId };
  }

  /**
   * Gives back one reference of this client: one reference on every peer copy, as each load took one there (a
   * peer that cannot be reached has already given it back: a lost connection releases its loads). `freed`: the
   * model is gone from this client (its last reference); the peers keep theirs for their other callers.
   */
  async release(modelId: string): Promise<{ freed: boolean; references: number; cancelled: number }> {
    const model = this.#models.get(modelId)!;
    model.references -= 1;
    if (model.references === 0) {
      this.#models.delete(modelId);
      if (this.#models.size === 0) this.#stopHeartbeat();
    }
    let cancelled = 0;
    await Promise.all(
      model.members.map(async ({ health, remoteModelId }) => {
        health.route.models.recordUnload(remoteModelId);
        const result = (await health.route.supervisor.live
          ?.request(Command.call, { op: "unloadModel", requestId: newRequestId(), input: { modelId: remoteModelId } })
          .catch(() => undefined)) as { cancelled?: number } | undefined;
        cancelled += result?.cancelled ?? 0;
      }),
    );
    return { freed: model.references === 0, references: model.references, cancelled };
  }

  /** Asks every peer for its status now (reconnecting lost ones) and reports what each said. */
  async check(): Promise<PeerInfo[]> {
    const peers = [...this.#peers.values()];
    await Promise.all(peers.map((health) => health.check()));
    return peers.map((health) => ({ peer: health.route.name, up: health.up, running: health.status?.running ?? null, queued: health.status?.queued ?? null }));
  }

  /** Stops the heartbeat and leaves every peer (the peers cancel what this client ran and release its loads). */
  async close(): Promise<void> {
    this.#stopHeartbeat();
    this.#models.clear();
    await Promise.all(this.routes().map((route) => route.supervisor.close().catch(() => undefined)));
  }

  #startHeartbeat(): void {
    if (this.#heartbeat) return;
    const peersInUse = () => new Set([...this.#models.values()].flatMap((model) => model.members.map((member) => member.health)));
    this.#heartbeat = setInterval(() => {
      for (const health of peersInUse()) void health.check();
    }, this.#options.heartbeatMs ?? 1_000);
    // A heartbeat alone never keeps the app alive: an app that forgot close() still exits.
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
