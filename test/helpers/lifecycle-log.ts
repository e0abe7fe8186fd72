import type { LogMessage } from "@rein/sdk";

export interface LifecycleEntry {
  event: "begin" | "queued" | "cancel" | "end" | "rejected";
  requestId: string;
  kind: string;
  modelId: string | null;
  state: string;
  durationMs: number;
  reason?: string;
}

/**
 * Collects the worker's request lifecycle lines (pass `log.logger` as the
 * client's logger) and lets a test await one: synchronisation on the real
 * event instead of a sleep.
 */
export function lifecycleLog() {
  const entries: LifecycleEntry[] = [];
  const waiters = new Set<{ match: (entry: LifecycleEntry) => boolean; resolve: (entry: LifecycleEntry) => void }>();
  return {
    entries,
    logger: (message: LogMessage) => {
      const entry = message.data as LifecycleEntry | undefined;
      if (!entry || typeof entry.event !== "string") return;
      entries.push(entry);
      for (const waiter of waiters) {
        if (waiter.match(entry)) {
          waiters.delete(waiter);
          waiter.resolve(entry);
        }
      }
    },
    /** Resolves with the first past or future entry that matches. */
    waitFor(match: Partial<LifecycleEntry>): Promise<LifecycleEntry> {
      const matches = (entry: LifecycleEntry) =>
        Object.entries(match).every(([key, value]) => (entry as unknown as Record<string, unknown>)[key] === value);
      const past = entries.find(matches);
      if (past) return Promise.resolve(past);
      return new Promise((resolve) => waiters.add({ match: matches, resolve }));
    },
    /** Resolves with the first matching entry logged from now on (for requests whose id the test cannot know beforehand). */
    next(match: Partial<LifecycleEntry>): Promise<LifecycleEntry> {
      const matches = (entry: LifecycleEntry) =>
        Object.entries(match).every(([key, value]) => (entry as unknown as Record<string, unknown>)[key] === value);
      return new Promise((resolve) => waiters.add({ match: matches, resolve }));
    },
    of(requestId: string): LifecycleEntry[] {
      return entries.filter((entry) => entry.requestId === requestId);
    },
  };
}
