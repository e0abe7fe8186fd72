import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { callMessageSchema } from "../wire.ts";
import { callMessageFast, plainCompletionInput } from "./completion-fast-path.ts";
import { completionInputSchema } from "./completion-schemas.ts";

const id = randomUUID();
const user = { role: "user", content: "Hello" };

const plainInputs: unknown[] = [
  { modelId: "m", history: [user] },
  { modelId: "m", history: [{ role: "system", content: "Be brief." }, user, { role: "assistant", content: "Hi!" }, { role: "user", content: "" }] },
  { modelId: "x".repeat(256), history: [user], stream: false, maxTokens: 512, temperature: 0.8, topP: 0.9, topK: 40, seed: 42 },
  { modelId: "m", history: [user], maxTokens: 1, temperature: 0, topP: 1, topK: 0, seed: 0, stopSequences: [], includeThinking: false },
  { modelId: "m", history: [user], maxTokens: 1 << 20, temperature: 10, seed: 2 ** 32 - 1, stopSequences: ["\n\n", "x".repeat(256)], awaitToolResults: true },
];

/** Inputs the hand check must leave to zod: refused ones (zod names the field) and shapes it does not cover. */
const otherInputs: unknown[] = [
  undefined,
  null,
  [],
  "hello",
  {},
  { history: [user] },
  { modelId: "", history: [user] },
  { modelId: "x".repeat(257), history: [user] },
  { modelId: 1, history: [user] },
  { modelId: "m", history: [] },
  { modelId: "m", history: user },
  { modelId: "m", history: [{ role: "user" }] },
  { modelId: "m", history: [{ role: "user", content: 1 }] },
  { modelId: "m", history: [{ role: "robot", content: "x" }] },
  { modelId: "m", history: [{ role: "user", content: "x", name: "me" }] },
  { modelId: "m", history: [{ role: "assistant", content: "", toolCalls: [] }] },
  { modelId: "m", history: [{ role: "tool", toolCallId: "c", content: "{}" }] },
  { modelId: "m", history: [null] },
  { modelId: "m", history: [user], extra: true },
  { modelId: "m", history: [user], stream: "yes" },
  { modelId: "m", history: [user], maxTokens: 0 },
  { modelId: "m", history: [user], maxTokens: 1.5 },
  { modelId: "m", history: [user], maxTokens: (1 << 20) + 1 },
  { modelId: "m", history: [user], maxTokens: "8" },
  { modelId: "m", history: [user], temperature: -0.1 },
  { modelId: "m", history: [user], temperature: 10.5 },
  { modelId: "m", history: [user], temperature: Number.NaN },
  { modelId: "m", history: [user], topP: 0 },
  { modelId: "m", history: [user], topP: 1.1 },
  { modelId: "m", history: [user], topK: -1 },
  { modelId: "m", history: [user], topK: 2.5 },
  { modelId: "m", history: [user], seed: -1 },
  { modelId: "m", history: [user], seed: 2 ** 32 },
  { modelId: "m", history: [user], stopSequences: [""] },
  { modelId: "m", history: [user], stopSequences: ["x".repeat(257)] },
  { modelId: "m", history: [user], stopSequences: Array.from({ length: 17 }, () => "x") },
  { modelId: "m", history: [user], stopSequences: "x" },
  { modelId: "m", history: [user], includeThinking: 1 },
  { modelId: "m", history: [user], tools: [{ name: "f", description: "d", parameters: { type: "object", properties: {} } }] },
  { modelId: "m", history: [user], toolChoice: "none" },
  { modelId: "m", history: [user], responseFormat: { type: "text" } },
];

describe("the plain completion input fast path", () => {
  it.each(plainInputs)("returns exactly what completionInputSchema returns for %j", (input) => {
    expect(plainCompletionInput(input)).toEqual(completionInputSchema.parse(input));
  });

  it.each(otherInputs)("leaves %j to zod", (input) => {
    expect(plainCompletionInput(input)).toBeUndefined();
  });

  it("never accepts what the schema refuses, over many mutations of a valid input", () => {
    const values = [undefined, null, -1, 0, 0.5, 1, 2, 10, 11, 2 ** 20, 2 ** 32, Number.NaN, Number.POSITIVE_INFINITY, "", "x", true, [], {}, [""], ["a"], [user]];
    const keys = ["modelId", "history", "stream", "maxTokens", "temperature", "topP", "topK", "seed", "stopSequences", "awaitToolResults", "includeThinking", "tools", "unknown"];
    let accepted = 0;
    for (const key of keys) {
      for (const value of values) {
        const input: Record<string, unknown> = { modelId: "m", history: [user], [key]: value };
        if (value === undefined) delete input[key];
        const fast = plainCompletionInput(input);
        const schema = completionInputSchema.safeParse(input);
        if (fast !== undefined) {
          accepted += 1;
          expect(schema.success, JSON.stringify(input)).toBe(true);
          expect(fast).toEqual(schema.data);
        }
      }
    }
    expect(accepted).toBeGreaterThan(20);
  });
});

describe("the call message fast path", () => {
  it.each([
    { op: "completion", requestId: id, input: { modelId: "m", history: [user] } },
    { op: "x".repeat(128), requestId: id.toUpperCase(), input: null },
    { op: "completion", requestId: id, input: 1, parentRequestId: randomUUID(), timeoutMs: 86_400_000 },
    { op: "completion", requestId: id, input: "text", timeoutMs: 1 },
  ])("returns exactly what callMessageSchema returns for %j", (payload) => {
    expect(callMessageFast(payload)).toEqual(callMessageSchema.parse(payload));
  });

  it.each([
    undefined,
    null,
    [],
    {},
    { op: "completion", requestId: id },
    { op: "", requestId: id, input: 1 },
    { op: "x".repeat(129), requestId: id, input: 1 },
    { op: 1, requestId: id, input: 1 },
    { op: "completion", requestId: "not-a-uuid", input: 1 },
    { op: "completion", requestId: id, input: 1, parentRequestId: "p" },
    { op: "completion", requestId: id, input: 1, timeoutMs: 0 },
    { op: "completion", requestId: id, input: 1, timeoutMs: 1.5 },
    { op: "completion", requestId: id, input: 1, timeoutMs: 86_400_001 },
    { op: "completion", requestId: id, input: 1, extra: true },
  ])("leaves %j to zod", (payload) => {
    expect(callMessageFast(payload)).toBeUndefined();
  });
});
