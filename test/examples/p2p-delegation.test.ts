import { describe, expect, it } from "vitest";
import { assertLoopbackOnly } from "../p2p/loopback-only.ts";
import { lineMatching, runExample } from "./run-example.ts";

assertLoopbackOnly();

describe("examples/p2p-delegation.ts", () => {
  it("routes to two peers, stops a run across the hop, cancels a group on both machines and survives a peer leaving", async () => {
    const result = await runExample("p2p-delegation.ts");
    expect(result.exitCode, result.stderr).toBe(0);
    const routing = lineMatching(result, /^routing: request 1 ran on (box-[ab]), request 2 ran on (box-[ab])$/);
    expect(routing[1]).not.toBe(routing[2]);
    lineMatching(result, /^stop: cancelled=1 on box-[ab] \(cancelled\), partial [1-9]\d* chars, code 52419$/);
    lineMatching(result, /^group: local=parentCancelled remote=parentCancelled \(remote part on box-[ab]\)$/);
    lineMatching(result, /^box-b left: PeerUnreachableError \(code 50205\)$/);
    lineMatching(result, /^after box-b left: ran on box-a$/);
    lineMatching(result, /^peers now: [0-9a-f]{8}…=up [0-9a-f]{8}…=down$/);
    lineMatching(result, /^done$/);
  }, 120_000);
});
