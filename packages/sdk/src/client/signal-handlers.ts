import type { ReinClient } from "./rein-client.ts";

const exitCodeOf = (signal: NodeJS.Signals) => (signal === "SIGINT" ? 130 : 143);

/**
 * Makes SIGINT/SIGTERM shut the app down cleanly: every in-flight request is
 * cancelled, the worker cleans up and exits, then this process exits with the
 * conventional code (130 for SIGINT, 143 for SIGTERM). A second SIGINT while
 * that runs exits at once. Returns a function that removes the handlers.
 *
 * @example
 * ```ts
 * const client = createClient({ handleSignals: true }); // same as:
 * const remove = handleShutdownSignals(client);
 * ```
 */
export function handleShutdownSignals(client: ReinClient, options: { onSignal?: (signal: NodeJS.Signals) => void } = {}): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(exitCodeOf(signal));
    stopping = true;
    options.onSignal?.(signal);
    void client.close().finally(() => process.exit(exitCodeOf(signal)));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}
