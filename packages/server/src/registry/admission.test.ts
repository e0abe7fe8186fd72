import { describe, expect, it } from "vitest";
import { AdmissionLanes, laneKey, type LaneWaiter } from "./admission.ts";
import { normalizeConcurrencyPolicy } from "./concurrency-policy.ts";

const queueTwo = normalizeConcurrencyPolicy({ maxConcurrentPerModel: 1, onOverflow: "queue", maxQueueDepth: 2 });

function waiter(requestId: string, admitted: string[], maxConcurrent = 1): LaneWaiter {
  return { requestId, maxConcurrent, admit: () => admitted.push(requestId) };
}

describe("AdmissionLanes", () => {
  const key = laneKey("completion", "model");

  it("keys lanes by kind and model", () => {
    expect(laneKey("completion", "m")).not.toBe(laneKey("embeddings", "m"));
  });

  it("acquires, queues, then rejects past the depth, without creating lanes while deciding", () => {
    const lanes = new AdmissionLanes();
    expect(lanes.decide(key, "completion", queueTwo)).toEqual({ outcome: "acquire" });
    expect(lanes.size).toBe(0);
    lanes.acquire(key);
    const admitted: string[] = [];
    expect(lanes.decide(key, "completion", queueTwo).outcome).toBe("queue");
    lanes.enqueue(key, waiter("a", admitted));
    lanes.enqueue(key, waiter("b", admitted));
    const full = lanes.decide(key, "completion", queueTwo);
    expect(full).toMatchObject({ outcome: "reject", rule: "queueFull" });
    expect(lanes.waitingCount(key)).toBe(2);
  });

  it("rejects with maxConcurrent under the reject policy", () => {
    const lanes = new AdmissionLanes();
    lanes.acquire(key);
    const decision = lanes.decide(key, "completion", normalizeConcurrencyPolicy({ maxConcurrentPerModel: 1, onOverflow: "reject" }));
    expect(decision).toEqual({
      outcome: "reject",
      rule: "maxConcurrent",
      reason: "another completion request is already running on this model",
    });
  });

  it("hands a released slot to the oldest waiter and deletes the lane when idle", () => {
    const lanes = new AdmissionLanes();
    const admitted: string[] = [];
    lanes.acquire(key);
    lanes.enqueue(key, waiter("a", admitted));
    lanes.enqueue(key, waiter("b", admitted));
    lanes.release(key);
    expect(admitted).toEqual(["a"]);
    expect(lanes.activeCount(key)).toBe(1);
    expect(lanes.removeWaiter(key, "b")).toBe(true);
    expect(lanes.removeWaiter(key, "b")).toBe(false);
    lanes.release(key);
    expect(lanes.size).toBe(0);
    lanes.release(key);
    expect(lanes.size).toBe(0);
  });

  it("does not let a newcomer jump a non-empty queue", () => {
    const lanes = new AdmissionLanes();
    const policy = normalizeConcurrencyPolicy({ maxConcurrentPerModel: 2 });
    const admitted: string[] = [];
    lanes.acquire(key);
    lanes.acquire(key);
    lanes.enqueue(key, waiter("a", admitted, 1)); // smaller per-request cap: waits for active < 1
    lanes.release(key);
    expect(admitted).toEqual([]);
    expect(lanes.decide(key, "completion", policy).outcome).toBe("queue");
    lanes.release(key);
    expect(admitted).toEqual(["a"]);
  });
});
