import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidInputError, ToolCallFailedError, type CompletionEvent, type ReinClient } from "@rein/sdk";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";

async function collect(events: AsyncIterable<CompletionEvent>): Promise<CompletionEvent[]> {
  const all: CompletionEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

const choice = z.object({ mode: z.enum(["a", "b"]) });

describe("tool failures become toolError events the model reads (or a typed error on fail-fast)", () => {
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient();
    modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { ctx_size: 2048 } });
  });
  afterAll(() => client.close());

  const runWith = (execute: (args: unknown) => unknown, parameters: z.ZodType = choice, extra: object = {}) =>
    client.completion({ modelId, history: history(), tools: { act: { parameters, execute } }, toolChoice: "required", maxSteps: 2, maxTokens: 48, ...extra });

  it("execute throws: toolError executeFailed, the loop goes on, the history holds the error", async () => {
    const run = runWith(() => {
      throw new Error("disk on fire");
    });
    const events = await collect(run.events);
    const final = await run.final;
    const errors = events.filter((event) => event.type === "toolError");
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ error: { reason: "executeFailed" } });
    expect(errors[0]!.type === "toolError" && errors[0]!.error.message).toContain("disk on fire");
    expect(final.stopReason).toBe("maxSteps");
    const toolMessage = final.messages.find((message) => message.role === "tool");
    expect(JSON.parse(toolMessage!.content)).toEqual({ error: expect.stringContaining("disk on fire") });
  });

  it("arguments failing the zod schema (a refinement the grammar cannot hold): toolError invalidArguments, execute never runs", async () => {
    let executed = 0;
    const strict = z.object({ word: z.string().max(6).refine((word) => word === "exact-word-never-generated") });
    const run = runWith(() => (executed += 1), strict);
    const events = await collect(run.events);
    expect(events.filter((event) => event.type === "toolError").map((event) => (event.type === "toolError" ? event.error.reason : ""))).toEqual([
      "invalidArguments",
      "invalidArguments",
    ]);
    expect(executed).toBe(0);
    expect((await run.final).stopReason).toBe("maxSteps");
  });

  it("a result with no JSON form (BigInt, cycle): toolError unserializableResult, no crash", async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const results: unknown[] = [10n, cyclic];
    const run = runWith(() => results.shift());
    const events = await collect(run.events);
    const reasons = events.flatMap((event) => (event.type === "toolError" ? [event.error.reason] : []));
    expect(reasons).toEqual(["unserializableResult", "unserializableResult"]);
    expect((await run.final).stopReason).toBe("maxSteps");
  });

  it("fail-fast (toolErrors: throw): the run rejects with ToolCallFailedError carrying the cause, no further turn", async () => {
    const cause = new Error("nope");
    const run = runWith(
      () => {
        throw cause;
      },
      choice,
      { toolErrors: "throw" },
    );
    const events = await collect(run.events).catch((error: unknown) => error);
    expect(events).toBeInstanceOf(ToolCallFailedError);
    const error = await run.final.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ToolCallFailedError);
    expect(ToolCallFailedError.isInstance(error)).toBe(true);
    const failed = error as ToolCallFailedError;
    expect(failed).toMatchObject({ requestId: run.requestId, toolName: "act", reason: "executeFailed" });
    expect(failed.cause).toBe(cause);
    expect((await client.inspect()).requests).toHaveLength(0);
  });

  it("bad tool input is an InvalidInputError naming the field, before anything is sent", async () => {
    const cases: [object, string][] = [
      [{ tools: { act: { parameters: { type: "string", pattern: "^a" } } } }, "tools.act.parameters.pattern"],
      [{ tools: { act: { parameters: { type: "object", properties: { n: { type: "number", minimum: 0 } } } } } }, "tools.act.parameters.properties.n.minimum"],
      [{ tools: { act: { parameters: { anyOf: [{ type: "string" }] } } } }, "tools.act.parameters.anyOf"],
      [{ tools: { act: { parameters: z.object({ n: z.number().min(1) }) } } }, "tools.act.parameters.properties.n.minimum"],
      [{ tools: { "bad name": {} } }, "tools.0.name"],
      [{ tools: { act: {} }, toolChoice: { name: "other" } }, "toolChoice.name"],
      [{ toolChoice: "required" }, "toolChoice"],
      [{ tools: { act: { execute: 5 } } }, "tools.act.execute"],
      [{ tools: { act: {} }, maxSteps: 0 }, "maxSteps"],
      [{ tools: { act: {} }, responseFormat: { type: "json_schema", schema: { type: "string" } } }, "responseFormat"],
      [{ history: [{ role: "user", content: "x" }, { role: "tool", toolCallId: "c1", content: "{}" }] }, "history.1.toolCallId"],
      [{ history: [{ role: "assistant", content: "", toolCalls: [{ id: "c1", name: "act", arguments: {} }] }, { role: "user", content: "x" }] }, "history.0"],
    ];
    const begunBefore = (await client.inspect()).counters.begun;
    for (const [extra, field] of cases) {
      const run = client.completion({ modelId, history: history(), ...extra } as never);
      const error = await run.final.catch((caught: unknown) => caught);
      expect(error, field).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field, JSON.stringify(extra)).toBe(field);
    }
    expect((await client.inspect()).counters.begun).toBe(begunBefore);
  });
});
