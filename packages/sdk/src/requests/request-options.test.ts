import { InvalidInputError } from "@rein/protocol";
import { describe, expect, it } from "vitest";
import { validateRequestOptions } from "./request-options.ts";

const requestId = "3b241101-e2bb-4255-8caf-4136c566a962";
const valid = { op: "completion", kind: "completion" };

describe("validateRequestOptions", () => {
  it("accepts what the SDK's calls pass", () => {
    expect(() => validateRequestOptions(valid)).not.toThrow();
    expect(() =>
      validateRequestOptions({ ...valid, requestId, timeoutMs: 1000, signal: new AbortController().signal, parent: { requestId }, onProgress: () => undefined }),
    ).not.toThrow();
    expect(() => validateRequestOptions({ ...valid, parent: requestId })).not.toThrow();
  });

  it.each([
    [{ requestId: "not-a-uuid" }, "requestId"],
    [{ timeoutMs: 0 }, "timeoutMs"],
    [{ timeoutMs: -5 }, "timeoutMs"],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, "timeoutMs"],
    [{ timeoutMs: 1.5 }, "timeoutMs"],
    [{ timeoutMs: 86_400_001 }, "timeoutMs"],
    [{ timeoutMs: "1000" }, "timeoutMs"],
    [{ requestId: requestId.replace(/^(.{14})./, "$13") }, "requestId"],
    [{ parent: "not-a-uuid" }, "parent"],
    [{ signal: { aborted: false } }, "signal"],
    [{ parent: 42 }, "parent"],
    [{ parent: { requestId: "nope" } }, "parent.requestId"],
    [{ onProgress: "log it" }, "onProgress"],
    [{ op: "" }, "op"],
    [{ op: "has space" }, "op"],
    [{ kind: "weird" }, "kind"],
  ])("refuses %o naming %s", (override, field) => {
    let caught: unknown;
    try {
      validateRequestOptions({ ...valid, ...override });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as InvalidInputError).field).toBe(field);
    expect((caught as InvalidInputError).code).toBe(50001);
  });
});
