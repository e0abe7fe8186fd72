import { describe, expect, it } from "vitest";
import { InvalidInputError } from "@rein/protocol";
import { planLink } from "./link-factory.ts";

const peer = "ab".repeat(32);

describe("planLink with a peer", () => {
  it("plans a remote link without a handshake config", () => {
    expect(planLink({ peer, bootstrap: ["127.0.0.1:49737"] })).toMatchObject({ remote: true, config: {} });
  });

  it("names the option that cannot be combined, or is malformed", () => {
    const cases: [Parameters<typeof planLink>[0], string][] = [
      [{ peer, url: "ws://127.0.0.1:1/rein" }, "peer"],
      [{ peer, connect: () => undefined as never }, "peer"],
      [{ peer, threads: 2 }, "threads"],
      [{ peer, cacheDir: "/tmp/x" }, "cacheDir"],
      [{ peer: "not-a-key" }, "peer"],
    ];
    // Without `peer` they still configure the peers of delegated models: accepted.
    expect(planLink({ bootstrap: ["127.0.0.1:49737"], keyPair: "/tmp/key.json" })).toMatchObject({ remote: false });
    for (const [options, field] of cases) {
      expect(() => planLink(options)).toThrow(InvalidInputError);
      expect(() => planLink(options)).toThrow(expect.objectContaining({ field }));
    }
  });
});
