import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidInputError } from "@rein/protocol";
import { toGrammarSchema, trimGeneratedJsonSchema } from "./json-schema-input.ts";

describe("toGrammarSchema", () => {
  it("converts zod and trims what the grammar cannot hold but need not: $schema, z.int() bounds, anyOf", () => {
    const schema = toGrammarSchema(z.object({ n: z.int(), name: z.string().max(5).nullable() }), "tools.t.parameters");
    expect(schema).toEqual({
      type: "object",
      properties: { n: { type: "integer" }, name: { oneOf: [{ type: "string", maxLength: 5 }, { type: "null" }] } },
      required: ["n", "name"],
      additionalProperties: false,
    });
  });

  it("refuses a zod check the grammar cannot enforce, naming the field", () => {
    const error = (() => {
      try {
        toGrammarSchema(z.object({ n: z.number().max(3) }), "responseFormat.schema");
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe("responseFormat.schema.properties.n.maximum");
  });

  it("takes a plain JSON Schema as written and refuses non-objects and zod types with no JSON form", () => {
    expect(toGrammarSchema({ type: "string" }, "f")).toEqual({ type: "string" });
    expect(() => toGrammarSchema("string" as never, "f")).toThrow(InvalidInputError);
    expect(() => toGrammarSchema(z.date() as never, "f")).toThrow(/no JSON Schema form/);
  });

  it("trimGeneratedJsonSchema trims a schema another library generated from zod (the AI SDK's draft-7 output)", () => {
    const generated = { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { n: { type: "integer", minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }, s: { anyOf: [{ type: "string" }, { type: "null" }] } } };
    expect(trimGeneratedJsonSchema(generated)).toEqual({ type: "object", properties: { n: { type: "integer" }, s: { oneOf: [{ type: "string" }, { type: "null" }] } } });
  });
});
