import { describe, expect, it } from "vitest";
import { findUnsupportedJsonSchemaKeyword } from "./json-schema-subset.ts";

describe("findUnsupportedJsonSchemaKeyword", () => {
  it("accepts what node-llama-cpp's grammar enforces, annotations included", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Order",
      type: "object",
      properties: {
        id: { type: "string", minLength: 1, maxLength: 12 },
        when: { type: "string", format: "date-time" },
        kind: { enum: ["a", "b"] },
        items: { type: "array", items: { $ref: "#/$defs/item" }, minItems: 1, maxItems: 3 },
        pair: { type: "array", prefixItems: [{ type: "number" }, { type: ["string", "null"] }] },
        either: { oneOf: [{ const: 1 }, { type: "boolean" }] },
      },
      required: ["id"],
      additionalProperties: false,
      $defs: { item: { type: "object", properties: { n: { type: "integer" } } } },
    };
    expect(findUnsupportedJsonSchemaKeyword(schema)).toBeUndefined();
  });

  it("names the first unsupported keyword by its path, however deep", () => {
    expect(findUnsupportedJsonSchemaKeyword({ type: "string", pattern: "x" })?.path).toBe("pattern");
    expect(findUnsupportedJsonSchemaKeyword({ type: "object", properties: { a: { type: "array", items: { minimum: 0 } } } })?.path).toBe("properties.a.items.minimum");
    expect(findUnsupportedJsonSchemaKeyword({ $defs: { x: { allOf: [] } } })?.path).toBe("$defs.x.allOf");
    expect(findUnsupportedJsonSchemaKeyword({ oneOf: [{ type: "string" }, { not: {} }] })?.path).toBe("oneOf.1.not");
    expect(findUnsupportedJsonSchemaKeyword({ type: "string", format: "uuid" })).toMatchObject({ path: "format", reason: expect.stringContaining("uuid") });
    expect(findUnsupportedJsonSchemaKeyword({ anyOf: [] })?.reason).toContain('"anyOf"');
    expect(findUnsupportedJsonSchemaKeyword([])).toMatchObject({ path: "" });
  });
});
