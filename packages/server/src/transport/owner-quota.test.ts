import { describe, expect, it } from "vitest";
import { OwnerQuota } from "./owner-quota.ts";

describe("OwnerQuota", () => {
  it("admits up to the limit per owner, counts owners apart, and frees a place on release", () => {
    const quota = new OwnerQuota(2);
    expect([quota.take("a"), quota.take("a"), quota.take("a")]).toEqual([true, true, false]);
    expect(quota.take("b")).toBe(true);
    quota.release("a");
    expect(quota.inFlight("a")).toBe(1);
    expect(quota.take("a")).toBe(true);
    quota.release("b");
    quota.release("b");
    expect(quota.inFlight("b")).toBe(0);
  });
});
