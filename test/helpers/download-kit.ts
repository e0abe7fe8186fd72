/** Small helpers for download tests: hashing, progress recording and "wait for the first bytes". */
import { createHash } from "node:crypto";
import type { ProgressEvent } from "@rein/protocol";

export const sha256Of = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

export interface ProgressRecorder {
  events: ProgressEvent[];
  /** Times (performance.now) at which each event arrived. */
  times: number[];
  onProgress: (event: ProgressEvent) => void;
  /** Resolves with the first event that satisfies `predicate` (seen before or after the call). */
  when: (predicate: (event: ProgressEvent) => boolean) => Promise<ProgressEvent>;
}

export function recordProgress(): ProgressRecorder {
  const events: ProgressEvent[] = [];
  const times: number[] = [];
  const waiters: Array<{ predicate: (event: ProgressEvent) => boolean; resolve: (event: ProgressEvent) => void }> = [];
  return {
    events,
    times,
    onProgress(event) {
      events.push(event);
      times.push(performance.now());
      for (const waiter of [...waiters]) {
        if (waiter.predicate(event)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    },
    when(predicate) {
      const seen = events.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}

/** Settles to the rejection reason, or fails when the promise resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}
