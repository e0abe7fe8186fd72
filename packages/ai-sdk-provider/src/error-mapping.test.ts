import { describe, expect, it } from "vitest";
import { APICallError, InvalidArgumentError } from "@ai-sdk/provider";
import { InferenceCancelledError, InvalidInputError, RequestRejectedByPolicyError, WorkerCrashedError } from "@rein/sdk";
import { toProviderError } from "./error-mapping.ts";
import { toFinishReason, toUsage } from "./finish-mapping.ts";

const context = { url: "rein://completion/m.gguf", requestBodyValues: { maxTokens: 1 } };
const requestId = "3b241101-e2bb-4255-8caf-4136c566a962";

describe("toProviderError", () => {
  it("a cancel by the call's own signal is an AbortError (TimeoutError for AbortSignal.timeout) with the Rein error as cause", () => {
    const controller = new AbortController();
    controller.abort();
    const cancelled = new InferenceCancelledError({ requestId, reason: "abortSignal" });
    const error = toProviderError(cancelled, { ...context, abortSignal: controller.signal }) as Error;
    expect(error.name).toBe("AbortError");
    expect(error.cause).toBe(cancelled);
    const timedOut = new AbortController();
    timedOut.abort(new DOMException("deadline", "TimeoutError"));
    expect((toProviderError(cancelled, { ...context, abortSignal: timedOut.signal }) as Error).name).toBe("TimeoutError");
  });

  it("other Rein errors are APICallErrors; only a crashed worker or a policy refusal is retryable", () => {
    const invalid = toProviderError(new InvalidInputError({ field: "temperature", reason: "must be at most 10", operation: "completion" }), context) as APICallError;
    expect(APICallError.isInstance(invalid)).toBe(true);
    expect(invalid).toMatchObject({ isRetryable: false, url: context.url, requestBodyValues: context.requestBodyValues, data: { code: 50001, name: "InvalidInputError" } });
    expect((toProviderError(new InferenceCancelledError({ requestId }), context) as APICallError).isRetryable).toBe(false);
    expect((toProviderError(new WorkerCrashedError({}), context) as APICallError).isRetryable).toBe(true);
    expect((toProviderError(new RequestRejectedByPolicyError({ requestId, kind: "completion", modelId: "m", reason: "busy" }), context) as APICallError).isRetryable).toBe(true);
  });

  it("AI SDK errors and foreign errors pass through", () => {
    const own = new InvalidArgumentError({ argument: "x", message: "bad" });
    expect(toProviderError(own, context)).toBe(own);
    const foreign = new RangeError("x");
    expect(toProviderError(foreign, context)).toBe(foreign);
  });
});

describe("finish reason and usage", () => {
  it("maps Rein's stop reasons and counts reused prompt tokens as cache reads", () => {
    expect(toFinishReason("eos")).toEqual({ unified: "stop", raw: "eos" });
    expect(toFinishReason("toolCalls")).toEqual({ unified: "tool-calls", raw: "toolCalls" });
    expect(toFinishReason("length").unified).toBe("length");
    const usage = toUsage({ promptTokens: 100, evaluatedPromptTokens: 30, generatedTokens: 5, timeToFirstTokenMs: 1, durationMs: 2, tokensPerSecond: 3 });
    expect(usage.inputTokens).toEqual({ total: 100, noCache: 30, cacheRead: 70, cacheWrite: undefined });
    expect(usage.outputTokens.total).toBe(5);
  });
});
