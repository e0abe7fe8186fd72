import { describe, expect, it } from "vitest";
import { CancelSignalReason, isCancelSignalReason } from "./cancel-signal-reason.ts";

describe("CancelSignalReason", () => {
  it("carries cause, requestId and message but no stack frames (capturing them was most of its cost inside every cancel)", () => {
    const reason = new CancelSignalReason("user", "id-1");
    expect(reason).toMatchObject({ name: "ReinCancel", cause: "user", requestId: "id-1", message: 'Request "id-1" was cancelled (user)' });
    expect(reason).toBeInstanceOf(Error);
    expect(isCancelSignalReason(reason)).toBe(true);
    expect(reason.stack ?? "").not.toMatch(/\n\s+at /);
    expect(new CancelSignalReason("timeout", "id-2").message).toBe('Request "id-2" passed its deadline');
  });

  it("leaves Error.stackTraceLimit as it found it, so other errors keep their stacks", () => {
    const before = Error.stackTraceLimit;
    new CancelSignalReason("shutdown", "id-3");
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error("still traced").stack).toMatch(/\n\s+at /);
  });
});
