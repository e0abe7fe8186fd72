import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_QUEUE_DEPTH,
  normalizeConcurrencyPolicy,
  oneAtATimePerModel,
  PolicyTable,
  UNGATED_POLICY,
} from "./concurrency-policy.ts";

describe("concurrency policy", () => {
  it("presets one at a time per model with rejection, frozen", () => {
    expect(oneAtATimePerModel).toEqual({ maxConcurrentPerModel: 1, onOverflow: "reject" });
    expect(Object.isFrozen(oneAtATimePerModel)).toBe(true);
  });

  it("fills in defaults", () => {
    expect(normalizeConcurrencyPolicy({ maxConcurrentPerModel: 2 })).toEqual({
      maxConcurrentPerModel: 2,
      onOverflow: "queue",
      maxQueueDepth: DEFAULT_MAX_QUEUE_DEPTH,
      queueTimeoutMs: null,
    });
    expect(normalizeConcurrencyPolicy(undefined)).toBe(UNGATED_POLICY);
    expect(normalizeConcurrencyPolicy({}).maxConcurrentPerModel).toBe(Number.POSITIVE_INFINITY);
  });

  it("clamps nonsense values", () => {
    expect(normalizeConcurrencyPolicy({ maxConcurrentPerModel: 0 }).maxConcurrentPerModel).toBe(1);
    expect(normalizeConcurrencyPolicy({ maxConcurrentPerModel: -3 }).maxConcurrentPerModel).toBe(1);
    expect(normalizeConcurrencyPolicy({ maxConcurrentPerModel: 2.7 }).maxConcurrentPerModel).toBe(2);
    expect(normalizeConcurrencyPolicy({ maxConcurrentPerModel: Number.NaN }).maxConcurrentPerModel).toBe(Number.POSITIVE_INFINITY);
    expect(normalizeConcurrencyPolicy({ maxQueueDepth: -1 }).maxQueueDepth).toBe(0);
    expect(normalizeConcurrencyPolicy({ queueTimeoutMs: 0 }).queueTimeoutMs).toBeNull();
    expect(normalizeConcurrencyPolicy({ queueTimeoutMs: Number.POSITIVE_INFINITY }).queueTimeoutMs).toBeNull();
    expect(normalizeConcurrencyPolicy({ queueTimeoutMs: 250 }).queueTimeoutMs).toBe(250);
    expect(normalizeConcurrencyPolicy({ onOverflow: "bogus" as never }).onOverflow).toBe("queue");
  });

  it("lets a per-request cap tighten the policy's (never loosen it), even without a policy", () => {
    const normalized = normalizeConcurrencyPolicy(oneAtATimePerModel, 4);
    expect(normalized.maxConcurrentPerModel).toBe(1);
    expect(normalized.onOverflow).toBe("reject");
    expect(normalizeConcurrencyPolicy({ maxConcurrentPerModel: 3 }, 2).maxConcurrentPerModel).toBe(2);
    expect(normalizeConcurrencyPolicy({ onOverflow: "queue" }, 4).maxConcurrentPerModel).toBe(4);
    expect(normalizeConcurrencyPolicy(undefined, 2)).toMatchObject({ maxConcurrentPerModel: 2, onOverflow: "queue" });
  });
});

describe("PolicyTable", () => {
  it("resolves per kind, with a per-request cap on top, and forgets removed policies", () => {
    const table = new PolicyTable();
    expect(table.resolve("completion")).toBe(UNGATED_POLICY);
    table.set("completion", { maxConcurrentPerModel: 1, onOverflow: "reject", maxQueueDepth: 3 });
    expect(table.resolve("completion")).toMatchObject({ maxConcurrentPerModel: 1, onOverflow: "reject" });
    expect(table.resolve("completion", 3)).toMatchObject({ maxConcurrentPerModel: 1, onOverflow: "reject", maxQueueDepth: 3 });
    table.set("completion", { onOverflow: "queue", maxQueueDepth: 3 });
    expect(table.resolve("completion", 3)).toMatchObject({ maxConcurrentPerModel: 3, onOverflow: "queue", maxQueueDepth: 3 });
    table.set("completion", undefined);
    expect(table.resolve("completion")).toBe(UNGATED_POLICY);
  });
});
