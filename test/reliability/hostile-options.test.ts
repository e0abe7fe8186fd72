/**
 * Option values no TypeScript caller writes but JavaScript callers (and
 * fuzzers) pass: a Symbol, a BigInt, an object without a prototype, an object
 * whose valueOf throws. Every public call validates before it builds anything
 * from them: no synchronous throw, an InvalidInputError naming the field.
 */
import { InvalidInputError, type ReinClient } from "@rein/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestClient, history } from "../helpers/rein-test-client.ts";
import { RELIABILITY_OPS_MODULE, settleWithin } from "../helpers/reliability-support.ts";

const BOUND_MS = 10_000;
const MODEL_ID = "m".repeat(16);

/** Values that break `Date.now() + value`, string templates or numeric comparisons when used unchecked. */
const hostileValues: Record<string, () => unknown> = {
  "a Symbol": () => Symbol("timeout"),
  "a BigInt": () => 1n,
  "Object.create(null)": () => Object.create(null),
  "an object whose valueOf throws": () => ({
    valueOf() {
      throw new Error("valueOf was called");
    },
  }),
};

/** Each public call with `options` merged into otherwise valid parameters; returns what it gives back. */
function publicCalls(client: ReinClient): Record<string, (options: Record<string, unknown>) => { result: Promise<unknown> }> {
  const settle = (value: PromiseLike<unknown>) => ({ result: Promise.resolve(value) });
  return {
    completion: (options) => settle(client.completion({ modelId: MODEL_ID, history: history("hi"), ...options } as never).final),
    embed: (options) => settle(client.embed({ modelId: MODEL_ID, text: "hi", ...options } as never)),
    loadModel: (options) => settle(client.loadModel({ modelSrc: "/nonexistent/model.gguf", ...options } as never)),
    downloadAsset: (options) => settle(client.downloadAsset({ url: "http://127.0.0.1:9/asset", ...options } as never)),
    group: (options) => settle(client.group(options as never).done),
    call: (options) => settle(client.call("reliability.echo", { value: 1 }, options as never)),
    stream: (options) => settle(client.stream("reliability.echo", { value: 1 }, options as never).result),
  };
}

describe("hostile option values on every public call", () => {
  let client: ReinClient;

  beforeAll(async () => {
    client = createTestClient({ opModules: [RELIABILITY_OPS_MODULE] });
    await client.ready();
  });

  afterAll(async () => {
    await client.close();
  });

  const fields = ["timeoutMs", "requestId", "signal", "parent", "onProgress"] as const;
  for (const field of fields) {
    for (const [valueName, makeValue] of Object.entries(hostileValues)) {
      it(`${field}: ${valueName} -> InvalidInputError naming "${field}" from every call, never a synchronous throw`, async () => {
        for (const [name, call] of Object.entries(publicCalls(client))) {
          let returned: { result: Promise<unknown> } | undefined;
          expect(() => (returned = call({ [field]: makeValue() })), name).not.toThrow();
          const outcome = await settleWithin(returned!.result, BOUND_MS, `${name} with ${field}: ${valueName}`);
          expect(outcome.status, name).toBe("rejected");
          const error = (outcome as { reason: unknown }).reason;
          expect(InvalidInputError.isInstance(error), `${name}: ${String(error)}`).toBe(true);
          expect((error as InvalidInputError).field, name).toBe(field);
        }
      });
    }
  }

  it("a history item whose toJSON returns a BigInt: InvalidInputError naming history.0, not a TypeError", async () => {
    class Message {
      role = "user" as const;
      content = "hi";
      toJSON() {
        return { role: this.role, content: this.content, tokens: 1n };
      }
    }
    const run = client.completion({ modelId: MODEL_ID, history: [new Message()] });
    const error = await run.final.catch((caught: unknown) => caught);
    expect(InvalidInputError.isInstance(error), String(error)).toBe(true);
    expect((error as InvalidInputError).field).toBe("history.0.tokens");
    expect((error as InvalidInputError).reason).toMatch(/BigInt/);
    const custom = await client.call("reliability.echo", { value: { nested: [1, 2n] } }).catch((caught: unknown) => caught);
    expect((custom as InvalidInputError).field).toBe("value.nested.1");
  });
});
