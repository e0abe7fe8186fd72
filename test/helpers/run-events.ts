/**
 * Waiting on a run's stream without cancelling it. Leaving a `for await` over
 * `run.events` early (break / return / throw) cancels the run by design, so a
 * test that waits for "the stream is flowing" and then expects the run to end
 * some other way (a crash, a broad cancel, an abort signal) must read the
 * events with an iterator it never closes.
 */
import type { CompletionEvent, CompletionRun } from "@rein/sdk";

/**
 * Resolves at the run's first `contentDelta` (the stream is surely flowing),
 * leaving the run going. Rejects when the run ended before its first token,
 * unless `orEnd` is set (then it resolves at the end too).
 *
 * @example
 * ```ts
 * await firstDelta(run);                 // the run is still running here
 * process.kill(client.workerPid!, "SIGKILL");
 * ```
 */
export async function firstDelta(run: CompletionRun, options: { orEnd?: boolean } = {}): Promise<CompletionEvent | undefined> {
  // A bare iterator: its return() is never called, so the run is not cancelled.
  const reader = run.events[Symbol.asyncIterator]();
  for (;;) {
    const next = await reader.next();
    if (next.done) {
      if (options.orEnd) return undefined;
      throw new Error("the run ended before its first token");
    }
    if (next.value.type === "contentDelta") return next.value;
  }
}
