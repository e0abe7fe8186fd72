import { describe, expect, it } from "vitest";
import { InvalidInputError } from "@rein/protocol";
import { RequestRegistry } from "../../registry/index.ts";
import type { WorkerServices } from "../../worker-services.ts";
import { deliverToolResults, ToolResultsMailbox, toolResultsMailbox } from "./tool-results-mailbox.ts";

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
    const services = { registry: new RequestRegistry() } as unknown as WorkerServices;
    await expect(deliverToolResults({ requestId: "r1", action: "maybe" }, services, {})).rejects.toBeInstanceOf(InvalidInputError);
    expect(await deliverToolResults({ requestId: "nobody", action: "stop", stopReason: "maxSteps" }, services, {})).toEqual({ delivered: false });
  });

  it("the control delivers only to a request the caller may see", async () => {
    const services = { registry: new RequestRegistry() } as unknown as WorkerServices;
    const requestId = crypto.randomUUID();
    const context = await services.registry.begin({ requestId, kind: "completion", modelId: "m", owner: "alice" });
    const waiting = toolResultsMailbox.wait(requestId, context.signal);
    expect(await deliverToolResults({ requestId, action: "stop", stopReason: "toolCalls" }, services, { owner: "bob" })).toEqual({ delivered: false });
    expect(await deliverToolResults({ requestId, action: "stop", stopReason: "toolCalls" }, services, { owner: "alice" })).toEqual({ delivered: true });
    expect(await waiting).toMatchObject({ action: "stop" });
    await context.end();
  });
});
