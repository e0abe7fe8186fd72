import { describe, expect, it } from "vitest";
import { InvalidInputError } from "@rein/protocol";
import { deliverToolResults, ToolResultsMailbox } from "./tool-results-mailbox.ts";

describe("ToolResultsMailbox", () => {
  it("hands an answer to the request waiting for it, and only to it", async () => {
    const mailbox = new ToolResultsMailbox();
    const waiting = mailbox.wait("r1", new AbortController().signal);
    expect(mailbox.deliver({ requestId: "r2", action: "stop", stopReason: "toolCalls" })).toBe(false);
    expect(mailbox.deliver({ requestId: "r1", action: "continue", results: [{ id: "c", content: "1" }] })).toBe(true);
    expect(await waiting).toEqual({ requestId: "r1", action: "continue", results: [{ id: "c", content: "1" }] });
    expect(mailbox.size).toBe(0);
    expect(mailbox.deliver({ requestId: "r1", action: "stop", stopReason: "toolCalls" })).toBe(false);
  });

  it("ends the wait at once when the request's signal aborts, and forgets the waiter", async () => {
    const mailbox = new ToolResultsMailbox();
    const controller = new AbortController();
    const waiting = mailbox.wait("r1", controller.signal);
    controller.abort();
    expect(await waiting).toBe("aborted");
    expect(mailbox.size).toBe(0);
    expect(await mailbox.wait("r2", controller.signal)).toBe("aborted");
    expect(mailbox.size).toBe(0);
  });

  it("the control refuses malformed answers with InvalidInputError", async () => {
    await expect(deliverToolResults({ requestId: "r1", action: "maybe" })).rejects.toBeInstanceOf(InvalidInputError);
    expect(await deliverToolResults({ requestId: "nobody", action: "stop", stopReason: "maxSteps" })).toEqual({ delivered: false });
  });
});
