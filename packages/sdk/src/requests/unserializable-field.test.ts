import { describe, expect, it } from "vitest";
import { unserializableField } from "./unserializable-field.ts";

describe("unserializableField", () => {
  it("names the deepest field JSON cannot carry: a BigInt, one returned by toJSON, a circular reference, a throwing toJSON", () => {
    expect(unserializableField({ a: [1, { b: 2n }] })).toEqual({ field: "a.1.b", reason: "is a BigInt, which JSON cannot carry" });
    expect(unserializableField({ history: [{ toJSON: () => ({ tokens: 1n }) }] })).toEqual({ field: "history.0.tokens", reason: "is a BigInt, which JSON cannot carry" });
    expect(unserializableField({ history: [{ toJSON: () => 1n }] })).toEqual({ field: "history.0", reason: "is a BigInt (via toJSON), which JSON cannot carry" });
    const loop: Record<string, unknown> = {};
    loop.self = { back: loop };
    expect(unserializableField({ loop })).toEqual({ field: "loop.self.back", reason: "is a circular reference" });
    expect(
      unserializableField({
        date: {
          toJSON() {
            throw new Error("no");
          },
        },
      }),
    ).toEqual({ field: "date", reason: "cannot be serialised: its toJSON() threw (no)" });
  });

  it("finds nothing in what JSON.stringify encodes, shared (non-circular) references included", () => {
    const shared = { x: 1 };
    for (const value of [null, 1, "a", [1, [2]], { a: shared, b: shared }, { when: new Date(0) }, { fn: () => 1, u: undefined }]) {
      expect(() => JSON.stringify(value)).not.toThrow();
      expect(unserializableField(value)).toBeUndefined();
    }
  });
});
