import { describe, expect, it } from "vitest";
import { ToolLoop, type ToolAnswer } from "./tool-loop.ts";

const requestId = "3b241101-e2bb-4255-8caf-4136c566a962";

function loopWith(tools: ConstructorParameters<typeof ToolLoop>[0]["tools"], maxSteps = 8) {
  const events: unknown[] = [];
  const answers: ToolAnswer[] = [];
  const loop = new ToolLoop({ tools, maxSteps, toolErrors: "feedBack", requestId, push: (event) => events.push(event), send: async (answer) => answers.push(answer) });
  return { loop, events, answers };
}

describe("ToolLoop", () => {
  it("a call naming an unknown tool becomes a toolError the model reads; the loop continues", async () => {
    const { loop, events, answers } = loopWith({ known: { execute: () => 1 } });
    await loop.onCalls([{ id: "c1", name: "missing", arguments: {} }]);
    expect(events).toEqual([{ type: "toolError", id: "c1", error: { reason: "unknownTool", message: 'There is no tool named "missing".' } }]);
    expect(answers).toEqual([{ action: "continue", results: [{ id: "c1", content: JSON.stringify({ error: 'There is no tool named "missing".' }) }] }]);
  });

  it("a call to a tool without execute stops the loop for the app to answer; maxSteps stops it after the step's tools ran", async () => {
    const waiting = loopWith({ ask: {}, known: { execute: () => "ok" } });
    await waiting.loop.onCalls([{ id: "c1", name: "ask", arguments: {} }, { id: "c2", name: "known", arguments: {} }]);
    expect(waiting.answers).toEqual([{ action: "stop", stopReason: "toolCalls" }]);
    expect(waiting.events).toEqual([{ type: "toolResult", id: "c2", result: "ok" }]);
    const capped = loopWith({ known: { execute: () => "ok" } }, 1);
    await capped.loop.onCalls([{ id: "c1", name: "known", arguments: {} }]);
    expect(capped.answers).toEqual([{ action: "stop", stopReason: "maxSteps" }]);
  });

  it("abort while a tool runs: its signal aborts, onCalls returns without waiting for it, nothing is sent or reported", async () => {
    let seen: AbortSignal | undefined;
    const { loop, events, answers } = loopWith({ hang: { execute: (_args: unknown, options: { signal: AbortSignal }) => ((seen = options.signal), new Promise(() => undefined)) } });
    const handling = loop.onCalls([{ id: "c1", name: "hang", arguments: {} }]);
    loop.abort();
    await handling;
    expect(seen?.aborted).toBe(true);
    expect(events).toEqual([]);
    expect(answers).toEqual([]);
  });

  it("an answer the worker refuses (over the payload limit) stops the run instead of leaving the worker waiting", async () => {
    const refused = new Error("payload too large");
    const failures: unknown[] = [];
    const loop = new ToolLoop({
      tools: { big: { execute: () => "x".repeat(4_000_001) }, small: { execute: () => "ok" } },
      maxSteps: 8,
      toolErrors: "feedBack",
      requestId,
      push: () => undefined,
      send: () => Promise.reject(refused),
      onFailure: (error) => failures.push(error),
    });
    await loop.onCalls([{ id: "c1", name: "small", arguments: {} }]);
    expect(failures).toEqual([refused]);
    expect(loop.failure).toBe(refused);
    expect(loop.signal.aborted).toBe(true);
  });

  it("a result larger than the worker accepts is a toolError, not a refused answer", async () => {
    const { loop, events } = loopWith({ big: { execute: () => "x".repeat(4_000_001) } });
    await loop.onCalls([{ id: "c1", name: "big", arguments: {} }]);
    expect(events).toEqual([{ type: "toolError", id: "c1", error: { reason: "unserializableResult", message: expect.stringContaining("more than 4000000") } }]);
  });
});
