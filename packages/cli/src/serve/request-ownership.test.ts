import { describe, expect, it } from "vitest";
import { RequestOwnership } from "./request-ownership.ts";

const alice = { keyId: "key-1", admin: false };
const bob = { keyId: "key-2", admin: false };
const admin = { keyId: "admin", admin: true };

describe("RequestOwnership", () => {
  it("lets a key touch only its own requests, the admin all, and forgets a request once released", () => {
    const ownership = new RequestOwnership();
    const requestId = crypto.randomUUID();
    const release = ownership.track({ requestId, keyId: "key-1", kind: "completion", modelName: "tiny", startedAt: 1 });
    expect(ownership.mayTouch(alice, requestId)).toBe(true);
    expect(ownership.mayTouch(bob, requestId)).toBe(false);
    expect(ownership.mayTouch(admin, requestId)).toBe(true);
    expect(ownership.ownedBy(bob)).toEqual([]);
    expect(ownership.ownedBy(alice, "tiny").map((request) => request.requestId)).toEqual([requestId]);
    expect(ownership.ownedBy(alice, "other")).toEqual([]);
    release();
    expect(ownership.size).toBe(0);
    expect(ownership.mayTouch(alice, requestId)).toBe(false);
  });

  it("a stale release does not remove a newer entry under the same id", () => {
    const ownership = new RequestOwnership();
    const requestId = crypto.randomUUID();
    const first = ownership.track({ requestId, keyId: "key-1", kind: "completion", modelName: "tiny", startedAt: 1 });
    ownership.track({ requestId, keyId: "key-2", kind: "completion", modelName: "tiny", startedAt: 2 });
    first();
    expect(ownership.get(requestId)?.keyId).toBe("key-2");
  });
});
