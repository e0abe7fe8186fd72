import { describe, expect, it } from "vitest";
import { InvalidInputError } from "@rein/protocol";
import { peerKeyOf, resolveDelegation } from "./delegate-options.ts";

const keyA = "a".repeat(64);
const keyB = "B".repeat(64);

const fieldOf = (delegate: unknown) => {
  try {
    resolveDelegation(delegate);
  } catch (error) {
    expect(InvalidInputError.isInstance(error)).toBe(true);
    return (error as InvalidInputError).field;
  }
  throw new Error("accepted");
};

describe("resolveDelegation", () => {
  it("accepts one peer, a pool, servers by URL, and normalises public keys", () => {
    expect(resolveDelegation({ peer: keyA })).toEqual({ peers: [{ key: `peer:${keyA}`, address: { publicKey: keyA } }], routing: "leastBusy", bootstrap: undefined });
    const pool = resolveDelegation({ peers: [keyA, keyB, { url: "ws://127.0.0.1:1/rein", apiKey: "k" }], routing: "random", bootstrap: ["127.0.0.1:49737"] });
    expect(pool.peers.map((peer) => peer.key)).toEqual([`peer:${keyA}`, `peer:${"b".repeat(64)}`, "url:ws://127.0.0.1:1/rein"]);
    expect(pool.routing).toBe("random");
    expect(peerKeyOf(keyB, "peer", "completion")).toBe(`peer:${"b".repeat(64)}`);
  });

  it("names the offending field", () => {
    expect(fieldOf(undefined)).toBe("delegate");
    expect(fieldOf({})).toBe("delegate");
    expect(fieldOf({ peer: keyA, peers: [keyB] })).toBe("delegate");
    expect(fieldOf({ peer: "abc" })).toBe("delegate.peer");
    expect(fieldOf({ peers: [] })).toBe("delegate.peers");
    expect(fieldOf({ peers: [keyA, 7] })).toBe("delegate.peers.1");
    expect(fieldOf({ peers: [keyA, keyA.toUpperCase()] })).toBe("delegate.peers");
    expect(fieldOf({ peer: { url: "http://x" } })).toBe("delegate.peer.url");
    expect(fieldOf({ peer: keyA, routing: "fastest" })).toBe("delegate.routing");
    expect(fieldOf({ peer: keyA, bootstrap: ["nohost"] })).toBe("delegate.bootstrap");
    expect(fieldOf({ peer: keyA, retries: 3 })).toBe("delegate.retries");
  });
});
