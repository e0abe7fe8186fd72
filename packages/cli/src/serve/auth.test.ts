import { describe, expect, it } from "vitest";
import { ANONYMOUS_CALLER, createAuthenticator, isLoopbackHost } from "./auth.ts";

describe("createAuthenticator", () => {
  it("maps each key to its id and refuses missing, malformed and wrong keys", () => {
    const auth = createAuthenticator({ apiKeys: ["alpha", "beta"], adminKey: "root" });
    expect(auth.required).toBe(true);
    expect(auth.authenticate("Bearer alpha")).toEqual({ keyId: "key-1", admin: false });
    expect(auth.authenticate("bearer beta")).toEqual({ keyId: "key-2", admin: false });
    expect(auth.authenticate("Bearer root")).toEqual({ keyId: "admin", admin: true });
    for (const header of [undefined, "", "alpha", "Basic alpha", "Bearer alph", "Bearer alphaa", "Bearer alpha beta"]) {
      expect(auth.authenticate(header)).toBeNull();
    }
  });

  it("lets everyone in as the one anonymous caller when no key is configured", () => {
    const auth = createAuthenticator({ apiKeys: [] });
    expect(auth.required).toBe(false);
    expect(auth.authenticate(undefined)).toBe(ANONYMOUS_CALLER);
  });
});

describe("isLoopbackHost", () => {
  it("knows loopback from everything else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.2", "example.com", "128.0.0.1"]) expect(isLoopbackHost(host)).toBe(false);
  });
});
