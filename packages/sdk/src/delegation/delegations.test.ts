import { describe, expect, it } from "vitest";
import { InvalidInputError } from "@rein/protocol";
import type { Route } from "../client/route.ts";
import { ModelLedger } from "../client/model-ledger.ts";
import { resolveDelegation } from "./delegate-options.ts";
import { Delegations } from "./delegations.ts";

/** A route stand-in: routing reads only its name and whether its connection is live. */
function fakeRoute(name: string, state: { live: boolean }): Route {
  const supervisor = {
    get live() {
      return state.live ? {} : undefined;
    },
    closed: false,
    close: async () => undefined,
  };
  return { name, remote: true, supervisor, models: new ModelLedger() } as unknown as Route;
}

function pool(routing: "leastBusy" | "roundRobin" | "random") {
  const states = [{ live: true }, { live: true }, { live: true }];
  const keys = ["1", "2", "3"].map((digit) => digit.repeat(64));
  const lost: string[] = [];
  const delegations = new Delegations({ createRoute: (peer, _bootstrap, onGone) => {
    const index = keys.findIndex((key) => peer.key === `peer:${key}`);
    const route = fakeRoute(peer.key, states[index]!);
    (route as { lose?: () => void }).lose = () => {
      states[index]!.live = false;
      lost.push(peer.key);
      onGone(new Error("gone") as never);
    };
    return route;
  } });
  const { peers } = resolveDelegation({ peers: keys });
  const routes = peers.map((peer) => delegations.routeTo(peer, undefined));
  delegations.register("delegated-x", peers.map((peer, index) => ({ peerKey: peer.key, remoteModelId: `remote-${index}` })), routing);
  const pick = (peer?: string) => routes.indexOf(delegations.pick("delegated-x", peer).route);
  return { delegations, routes, keys, pick, lose: (index: number) => (routes[index] as { lose?: () => void }).lose!() };
}

describe("Delegations routing", () => {
  it("round robin takes the peers in turn and skips one whose connection was lost", () => {
    const { pick, lose } = pool("roundRobin");
    expect([pick(), pick(), pick(), pick()]).toEqual([0, 1, 2, 0]);
    lose(1);
    expect([pick(), pick(), pick()]).not.toContain(1);
  });

  it("least busy counts what this client sent since the peers' last status, spreading a burst", () => {
    const { pick, keys } = pool("leastBusy");
    // Two sent to peer 0 by name: a burst goes to the other two first.
    pick(keys[0]);
    pick(keys[0]);
    const burst = [pick(), pick()];
    expect(burst.sort()).toEqual([1, 2]);
  });

  it("a named peer must be a member; with every peer lost it still picks one (the call then reconnects or fails typed)", () => {
    const { delegations, pick, lose, keys } = pool("random");
    expect(pick(keys[2])).toBe(2);
    expect(() => delegations.pick("delegated-x", "f".repeat(64))).toThrow(InvalidInputError);
    for (const index of [0, 1, 2]) lose(index);
    expect([0, 1, 2]).toContain(pick());
  });

  it("the same model on the same peers gets the same id, in any order; another config another id", () => {
    const input = { modelSrc: "tiny" };
    expect(Delegations.modelIdFor(["peer:a", "peer:b"], input)).toBe(Delegations.modelIdFor(["peer:b", "peer:a"], input));
    expect(Delegations.modelIdFor(["peer:a"], input)).not.toBe(Delegations.modelIdFor(["peer:a"], { modelSrc: "tiny", modelConfig: { ctx_size: 512 } }));
  });
});
