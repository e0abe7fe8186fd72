import { testModelPath } from "@rein/test-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServeProcess, type ServeProcess } from "./serve-process.ts";

let server: ServeProcess;

beforeAll(async () => {
  // The medium test model: a ~2,000-token prompt takes seconds to evaluate on a CPU, in chunks of 256 tokens.
  server = await startServeProcess(["--model", `medium=${await testModelPath({ preset: "medium" })}`, "--ctx-size", "4096"]);
});
afterAll(async () => {
  if (server) expect(await server.stop()).toEqual({ code: 0, signal: null });
});

const WORDS = ["request", "cancel", "token", "worker", "model", "stream", "signal", "prompt", "sequence", "context", "queue", "chunk"];

/** A long prompt unique to `seed` from its first word on, so no run reuses another's KV cache. */
function longPrompt(seed: number, words: number): string {
  let state = seed;
  const picked = [`Document ${seed}:`];
  for (let index = 0; index < words; index += 1) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    picked.push(WORDS[state % WORDS.length]!);
  }
  return picked.join(" ");
}

async function metrics(): Promise<Record<string, number>> {
  return (await server.registry()).metrics!;
}

describe("rein serve: a disconnect during prompt evaluation", () => {
  it("stops the prefill at a chunk boundary instead of finishing the prompt", async () => {
    const full = await server.post("/v1/chat/completions", { model: "medium", max_tokens: 1, messages: [{ role: "user", content: longPrompt(1, 750) }] });
    const promptTokens: number = (await full.json()).usage.prompt_tokens;
    expect(promptTokens).toBeGreaterThan(1500);

    const before = await metrics();
    const requestId = crypto.randomUUID();
    const controller = new AbortController();
    const pending = server.post("/v1/chat/completions", { model: "medium", max_tokens: 1, messages: [{ role: "user", content: longPrompt(2, 750) }] }, { signal: controller.signal, headers: { "x-request-id": requestId } });
    await server.waitForRegistry((view) => view.requests.some((request) => request.requestId === requestId && request.state === "running"), "the prefill to start");
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    await server.waitForRegistry((view) => view.requests.length === 0, "the request to end");
    const after = await metrics();
    const evaluated = after["completion.promptTokensEvaluated"]! - before["completion.promptTokensEvaluated"]!;
    // Stopped part-way: fewer prompt tokens evaluated than the same-length prompt needed, and no token generated.
    expect(evaluated).toBeLessThan(promptTokens);
    expect(after["completion.tokensGenerated"]).toBe(before["completion.tokensGenerated"]);
  });
});
