import { hyperDht, type DhtNode } from "./hyperdht-module.ts";

interface SharedNode {
  readonly node: DhtNode;
  /** Connections open or being opened on it. */
  users: number;
}

/**
 * One DHT node per bootstrap list for every client connection of this
 * process. A DHT node holds a UDP socket that would keep the process alive,
 * and udx sockets cannot be unref'd: so the node is destroyed as soon as its
 * last connection closes, and the next connection makes a fresh one.
 */
const nodes = new Map<string, SharedNode>();

/** Takes the node for `bootstrap`; call the returned release exactly once when the connection is gone. */
export function acquireClientNode(bootstrap: string[] | undefined): { node: DhtNode; release: () => void } {
  const key = bootstrap === undefined ? "(public)" : bootstrap.join(",");
  let shared = nodes.get(key);
  if (!shared) {
    const DHT = hyperDht();
    shared = { node: new DHT(bootstrap === undefined ? {} : { bootstrap }), users: 0 };
    nodes.set(key, shared);
  }
  shared.users += 1;
  const taken = shared;
  let released = false;
  return {
    node: taken.node,
    release: () => {
      if (released) return;
      released = true;
      taken.users -= 1;
      if (taken.users > 0) return;
      if (nodes.get(key) === taken) nodes.delete(key);
      void taken.node.destroy({ force: true }).catch(() => undefined);
    },
  };
}

/**
 * Destroys every client DHT node of this process now (their connections
 * break). For tests and for apps that exit without closing their clients.
 *
 * @example
 * ```ts
 * afterAll(() => destroyPeerClients());
 * ```
 */
export async function destroyPeerClients(): Promise<void> {
  const all = [...nodes.values()];
  nodes.clear();
  await Promise.allSettled(all.map((shared) => shared.node.destroy({ force: true })));
}
