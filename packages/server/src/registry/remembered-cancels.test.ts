import { describe, expect, it } from "vitest";
import { BoundedExpiringMap } from "./remembered-cancels.ts";

function clockedMap(options: { maxEntries?: number; ttlMs?: number } = {}) {
  const clock = { now: 0 };
  const map = new BoundedExpiringMap<string, string>({ ...options, now: () => clock.now });
  return { clock, map };
}

describe("BoundedExpiringMap", () => {
  it("defaults to 1024 entries and 30 s", () => {
    const map = new BoundedExpiringMap();
    expect(map.maxEntries).toBe(1024);
    expect(map.ttlMs).toBe(30_000);
  });

  it("hands a value out once", () => {
    const { map } = clockedMap();
    map.remember("a", "user");
    expect(map.has("a")).toBe(true);
    expect(map.take("a")).toBe("user");
    expect(map.take("a")).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it("forgets entries after the TTL", () => {
    const { clock, map } = clockedMap({ ttlMs: 100 });
    map.remember("a", "user");
    clock.now = 50;
    map.remember("b", "user");
    clock.now = 99;
    expect(map.size).toBe(2);
    clock.now = 100;
    expect(map.size).toBe(1);
    expect(map.take("a")).toBeUndefined();
    clock.now = 150;
    expect(map.has("b")).toBe(false);
  });

  it("evicts the oldest past the cap", () => {
    const { map } = clockedMap({ maxEntries: 2 });
    map.remember("a", "1");
    map.remember("b", "2");
    map.remember("c", "3");
    expect(map.size).toBe(2);
    expect(map.has("a")).toBe(false);
    expect(map.take("b")).toBe("2");
    expect(map.take("c")).toBe("3");
  });

  it("refreshes the TTL and age on re-remember but keeps the first value", () => {
    const { clock, map } = clockedMap({ maxEntries: 2, ttlMs: 100 });
    map.remember("a", "user");
    map.remember("b", "user");
    clock.now = 60;
    map.remember("a", "shutdown");
    map.remember("c", "user"); // evicts b, now the oldest
    expect(map.has("b")).toBe(false);
    clock.now = 150;
    expect(map.take("a")).toBe("user");
  });

  it("keeps nothing when maxEntries is 0", () => {
    const { map } = clockedMap({ maxEntries: 0 });
    map.remember("a", "user");
    expect(map.size).toBe(0);
  });

  it("clears", () => {
    const { map } = clockedMap();
    map.remember("a", "user");
    map.clear();
    expect(map.size).toBe(0);
  });
});
