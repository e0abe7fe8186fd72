import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { InferenceCancelledError, RequestTimeoutError, ToolCallFailedError, nextHistory, type CompletionEvent, type ReinClient, type ToolExecuteOptions } from "@rein/sdk";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";
import { lifecycleLog } from "../helpers/lifecycle-log.ts";

// Bounded strings and enums: the random-weights model fills them under the grammar in a few tokens.
const weatherParameters = z.object({ city: z.string().max(8), unit: z.enum(["c", "f"]) });

async function collect(events: AsyncIterable<CompletionEvent>): Promise<CompletionEvent[]> {
  const all: CompletionEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe("tool calls on the random-weights tiny model (forced by toolChoice)", () => {
  const log = lifecycleLog();
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient({ logger: log.logger });
    modelId = await client.loadModel({ modelSrc: await tinyModel(), modelConfig: { ctx_size: 2048 } });
  });
  afterAll(() => client.close());

  it("without execute: a grammar-valid call, stopReason toolCalls, and a history the next completion accepts", async () => {
    const run = client.completion({
      modelId,
      history: history("What is the weather in Paris?"),
      tools: { get_weather: { description: "Current weather", parameters: weatherParameters } },
      toolChoice: "required",
      maxTokens: 64,
    });
    const events = await collect(run.events);
    const final = await run.final;
    expect(final.stopReason).toBe("toolCalls");
    expect(final.toolCalls).toHaveLength(1);
    const [call] = final.toolCalls;
    expect(call!.name).toBe("get_weather");
    expect(weatherParameters.safeParse(call!.arguments).success).toBe(true);
    expect(events.filter((event) => event.type === "toolCall").map((event) => (event.type === "toolCall" ? event.call : null))).toEqual([call]);
    expect(events.at(-1)).toMatchObject({ type: "completionDone", stopReason: "toolCalls" });
    expect(final.history.at(-1)).toEqual({ role: "assistant", content: "", toolCalls: [call] });

    // The app answers the call itself and continues.
    const answered = [...final.history, { role: "tool" as const, toolCallId: call!.id, content: JSON.stringify({ temperature: 21 }) }];
    const next = client.completion({ modelId, history: answered, maxTokens: 5 });
    expect((await next.final).stopReason).toBe("length");
  });

  it("with execute: model turn -> tool -> model turn under one requestId, the second turn evaluating only new tokens", async () => {
    const seen: ToolExecuteOptions[] = [];
    const run = client.completion({
      modelId,
      history: history("Weather in Paris, then tell me about it."),
      tools: {
        get_weather: {
          parameters: weatherParameters,
          execute: (args: z.infer<typeof weatherParameters>, options: ToolExecuteOptions) => {
            seen.push(options);
            return { city: args.city, temperature: 21 };
          },
        },
      },
      toolChoice: { name: "get_weather" },
      maxSteps: 2,
      maxTokens: 64,
    });
    const events = await collect(run.events);
    const final = await run.final;
    expect(final.stopReason).toBe("maxSteps");
    expect(final.steps).toHaveLength(2);
    expect(final.toolCalls).toHaveLength(2);
    expect(seen.map((options) => options.requestId)).toEqual([run.requestId, run.requestId]);
    expect(seen.map((options) => options.call.id)).toEqual(final.toolCalls.map((call) => call.id));
    const types = events.map((event) => event.type);
    expect(types.filter((type) => type === "toolResult")).toHaveLength(2);
    expect(types.indexOf("toolResult")).toBeGreaterThan(types.indexOf("toolCall"));
    // One registry request for the whole run.
    const begins = log.entries.filter((entry) => entry.requestId === run.requestId && entry.event === "begin");
    expect(begins).toHaveLength(1);
    // KV cache kept: the second turn evaluates the call and its result, not the whole history again.
    const [first, second] = final.steps;
    expect(second!.stats.promptTokens).toBeGreaterThan(first!.stats.promptTokens);
    expect(second!.stats.evaluatedPromptTokens).toBeLessThan(second!.stats.promptTokens / 2);
    // The history carries both calls and their results, in the form completion() accepts.
    const roles = final.messages.map((message) => message.role);
    expect(roles).toEqual(["assistant", "tool", "assistant", "tool"]);
    const next = client.completion({ modelId, history: await nextHistory(history("Weather in Paris, then tell me about it."), run), maxTokens: 3 });
    expect((await next.final).stopReason).toBe("length");
  });

  it("cancel by requestId during execute: its signal aborts at once, no further turn, partial.toolCalls, late result discarded", async () => {
    let release!: () => void;
    const neverEnds = new Promise<void>((resolve) => (release = resolve));
    let started!: (options: ToolExecuteOptions) => void;
    const executing = new Promise<ToolExecuteOptions>((resolve) => (started = resolve));
    const run = client.completion({
      modelId,
      history: history(),
      tools: {
        slow: {
          parameters: z.object({ mode: z.enum(["a", "b"]) }),
          // Ignores its signal on purpose: the run must settle anyway.
          execute: async (_args: unknown, options: ToolExecuteOptions) => {
            started(options);
            await neverEnds;
            return "late";
          },
        },
      },
      toolChoice: "required",
      maxTokens: 32,
    });
    const eventsDone = collect(run.events);
    const options = await executing;
    expect(options.signal.aborted).toBe(false);
    expect(await client.cancel({ requestId: run.requestId })).toEqual({ cancelled: 1 });
    expect(options.signal.aborted).toBe(true);
    const error = await run.final.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InferenceCancelledError);
    expect((error as InferenceCancelledError).partial.toolCalls).toEqual([options.call]);
    const events = await eventsDone;
    expect(events.at(-1)).toMatchObject({ type: "completionDone", stopReason: "cancelled" });
    release();
    expect(events.some((event) => event.type === "toolResult")).toBe(false);
    expect((await log.waitFor({ event: "end", requestId: run.requestId })).state).toBe("cancelled");
    const snapshot = await client.inspect();
    expect(snapshot.requests.some((request) => request.requestId === run.requestId)).toBe(false);
  });

  it("AbortSignal, timeoutMs and break out of events stop a run waiting on its tool", async () => {
    const hangingTool = (onStart: (options: ToolExecuteOptions) => void) => ({
      hang: { parameters: z.object({ mode: z.enum(["a", "b"]) }), execute: (_: unknown, options: ToolExecuteOptions) => (onStart(options), new Promise(() => undefined)) },
    });
    // AbortSignal
    const controller = new AbortController();
    const bySignal = client.completion({ modelId, history: history(), tools: hangingTool(() => controller.abort(new Error("stop"))), toolChoice: "required", maxTokens: 32, signal: controller.signal });
    const signalError = await bySignal.final.catch((caught: unknown) => caught);
    expect(signalError).toBeInstanceOf(InferenceCancelledError);
    expect((signalError as InferenceCancelledError).reason).toBe("abortSignal");
    // timeoutMs: the worker's deadline reaches the wait (or, on a slow machine, the model turn before it).
    let timedSignal: AbortSignal | undefined;
    const byTimeout = client.completion({ modelId, history: history(), tools: hangingTool((options) => (timedSignal = options.signal)), toolChoice: "required", maxTokens: 32, timeoutMs: 3000 });
    const timeoutError = await byTimeout.final.catch((caught: unknown) => caught);
    expect(timeoutError).toBeInstanceOf(RequestTimeoutError);
    expect(timedSignal === undefined || timedSignal.aborted).toBe(true);
    // break out of events
    let brokenSignal: AbortSignal | undefined;
    const byBreak = client.completion({ modelId, history: history(), tools: hangingTool((options) => (brokenSignal = options.signal)), toolChoice: "required", maxTokens: 32 });
    for await (const event of byBreak.events) if (event.type === "toolCall") break;
    await expect(byBreak.final).rejects.toBeInstanceOf(InferenceCancelledError);
    // Broad cancel by model
    let broadSignal!: () => void;
    const broadStarted = new Promise<void>((resolve) => (broadSignal = resolve));
    const byBroad = client.completion({ modelId, history: history(), tools: hangingTool(() => broadSignal()), toolChoice: "required", maxTokens: 32 });
    await broadStarted;
    expect(await client.cancel({ modelId })).toEqual({ cancelled: 1 });
    await expect(byBroad.final).rejects.toBeInstanceOf(InferenceCancelledError);
    expect(brokenSignal === undefined || brokenSignal.aborted).toBe(true);
  });
});
