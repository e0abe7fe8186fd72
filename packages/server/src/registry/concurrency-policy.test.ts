import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_QUEUE_DEPTH,
  normalizeConcurrencyPolicy,
  oneAtATimePerModel,
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

  it("lets a per-request cap replace the policy's, even without a policy", () => {
    const normalized = normalizeConcurrencyPolicy(oneAtATimePerModel, 4);
    expect(normalized.maxConcurrentPerModel).toBe(4);
    expect(normalized.onOverflow).toBe("reject");
    expect(normalizeConcurrencyPolicy(undefined, 2)).toMatchObject({ maxConcurrentPerModel: 2, onOverflow: "queue" });
  });
});
