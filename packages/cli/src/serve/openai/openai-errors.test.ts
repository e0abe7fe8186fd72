import { ContextOverflowError, ErrorCode, InferenceCancelledError, InvalidInputError, WorkerShutdownError } from "@rein/sdk";
import { describe, expect, it } from "vitest";
import { HttpError, toHttpError } from "./openai-errors.ts";

describe("toHttpError", () => {
  it("maps Rein errors to a status, OpenAI's type and code, and rein_code", () => {
    const invalid = toHttpError(new InvalidInputError({ field: "maxTokens", reason: "must be at least 1", operation: "completion" }), (field) => (field === "maxTokens" ? "max_tokens" : field));
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({ error: { message: 'Invalid "maxTokens" for completion: must be at least 1', type: "invalid_request_error", param: "max_tokens", code: "invalid_value", rein_code: ErrorCode.InvalidInput } });
    expect(toHttpError(new InferenceCancelledError({ requestId: crypto.randomUUID(), reason: "user" })).status).toBe(409);
    expect(toHttpError(new WorkerShutdownError()).body.error).toMatchObject({ code: "server_shutting_down", rein_code: ErrorCode.WorkerShutdown });
    const overflow = new ContextOverflowError({ modelId: "m", contextSize: 64, promptTokens: 100 });
    expect(toHttpError(overflow).body.error.code).toBe("context_length_exceeded");
  });

  it("keeps Fastify's own 4xx refusals and hides anything else behind a 500", () => {
    expect(toHttpError(Object.assign(new Error("too large"), { statusCode: 413, code: "FST_ERR_CTP_BODY_TOO_LARGE" })).body.error.code).toBe("body_too_large");
    const hidden = toHttpError(new Error("secret internals at /home/x"));
    expect(hidden.status).toBe(500);
    expect(JSON.stringify(hidden.body)).not.toContain("secret");
    const own = new HttpError(418, { message: "teapot", type: "t" });
    expect(toHttpError(own)).toBe(own);
  });
});
