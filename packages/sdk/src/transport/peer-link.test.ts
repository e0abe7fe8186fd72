import { describe, expect, it, vi } from "vitest";
import { PeerUnreachableError } from "@rein/protocol";
import { openPeerLink } from "./peer-link.ts";

// An app that installed @rein/sdk without the optional @rein/p2p peer.
vi.mock("@rein/p2p", () => {
  throw new Error("Cannot find package '@rein/p2p' imported from peer-link.js");
});

describe("openPeerLink without @rein/p2p installed", () => {
  it("rejects with PeerUnreachableError saying what to install", async () => {
    const publicKey = "ab".repeat(32);
    const error = await openPeerLink({ publicKey, bootstrap: ["127.0.0.1:1"] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PeerUnreachableError);
    expect(error).toMatchObject({ publicKey, reason: expect.stringContaining("npm install @rein/p2p") });
  });
});
