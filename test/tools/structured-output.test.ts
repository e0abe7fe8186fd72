import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { InferenceCancelledError, InvalidInputError, type ReinClient } from "@rein/sdk";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";

describe("responseFormat json_schema on the random-weights tiny model", () => {
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient();
    modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { ctx_size: 2048 } });
  });
  afterAll(() => client.close());

  const person = z.object({
    name: z.string().max(10),
    role: z.enum(["admin", "user"]),
    active: z.boolean(),
    tags: z.array(z.enum(["x", "y"])).max(3),
  });

  it("zod schema: the grammar makes random weights produce JSON that parses and passes the schema", async () => {
    for (const seed of [1, 2, 3]) {
      const run = client.completion({ modelId, history: history("Describe a person."), responseFormat: { type: "json_schema", schema: person }, seed, temperature: 1, maxTokens: 200 });
      const final = await run.final;
      expect(final.stopReason).toBe("eos");
      expect(person.parse(JSON.parse(final.contentText))).toEqual(final.object);
    }
  });

  it("plain JSON Schema: final.object is the parsed value", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" }, level: { enum: [1, 2, 3] } } };
    const final = await client.completion({ modelId, history: history(), responseFormat: { type: "json_schema", schema }, maxTokens: 100 }).final;
    expect(final.object).toEqual(JSON.parse(final.contentText));
    expect(typeof (final.object as { ok: unknown }).ok).toBe("boolean");
    expect([1, 2, 3]).toContain((final.object as { level: unknown }).level);
  });

  it("a cancelled run's partial.text is the raw JSON so far", async () => {
    const schema = { type: "object", properties: { story: { type: "string" } } };
    const run = client.completion({ modelId, history: history(), responseFormat: { type: "json_schema", schema }, maxTokens: 100_000 });
    let streamed = "";
    for await (const event of run.events) {
      if (event.type === "contentDelta") streamed += event.text;
      if (streamed.length > 20) void run.cancel();
    }
    const error = await run.final.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InferenceCancelledError);
    const partial = (error as InferenceCancelledError).partial.text!;
    expect(partial).toBe(streamed);
    expect(partial.trimStart().startsWith("{")).toBe(true);
  });

  it("unsupported keywords are refused with InvalidInputError naming the keyword", async () => {
    const cases: [unknown, string][] = [
      [{ type: "string", pattern: "^[a-z]+$" }, "responseFormat.schema.pattern"],
      [{ type: "object", properties: { age: { type: "integer", maximum: 9 } } }, "responseFormat.schema.properties.age.maximum"],
      [{ allOf: [{ type: "string" }] }, "responseFormat.schema.allOf"],
      [{ type: "string", format: "email" }, "responseFormat.schema.format"],
      [z.object({ email: z.email() }), "responseFormat.schema.properties.email.format"],
    ];
    for (const [schema, field] of cases) {
      const error = await client.completion({ modelId, history: history(), responseFormat: { type: "json_schema", schema: schema as never } }).final.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe(field);
    }
  });
});
