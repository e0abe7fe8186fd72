import type { CompletionRun, CompletionStats, StopReason } from "@rein/sdk";

export interface ReplyOutcome {
  stopReason: StopReason;
  /** Everything that was streamed (the partial answer when stopped). */
  text: string;
  stats: CompletionStats | undefined;
  error: Error | undefined;
}

/**
 * Writes a reply to `output` as it streams and ends it with a status line:
 * `[stopped]` when cancelled, `[error: ...]` on failure, otherwise the stop
 * reason with token count and speed.
 *
 * @example
 * ```ts
 * const outcome = await streamReply(client.completion({ modelId, history }), process.stdout);
 * if (outcome.stopReason === "cancelled") console.log("partial:", outcome.text);
 * ```
 */
export async function streamReply(run: CompletionRun, output: NodeJS.WritableStream): Promise<ReplyOutcome> {
  let stopReason: StopReason = "error";
  let text = "";
  try {
    for await (const event of run.events) {
      if (event.type === "contentDelta") {
        text += event.text;
        output.write(event.text);
      }
      if (event.type === "completionDone") stopReason = event.stopReason;
    }
  } catch {
    // The events end with the error itself; run.final below reports it.
  }
  const outcome = await run.final.then(
    (final) => ({ stopReason: final.stopReason, text, stats: final.stats, error: undefined }),
    (error: Error) => ({ stopReason, text, stats: undefined, error }),
  );
  output.write(text.endsWith("\n") || text === "" ? "" : "\n");
  output.write(`${statusLine(outcome)}\n`);
  return outcome;
}

function statusLine(outcome: ReplyOutcome): string {
  if (outcome.stopReason === "cancelled") return "[stopped]";
  if (outcome.stopReason === "timeout") return "[timed out]";
  if (outcome.error) {
    const code = (outcome.error as { code?: unknown }).code;
    return `[error: ${outcome.error.message.split("\n", 1)[0]}${typeof code === "number" ? ` (${outcome.error.name}, code ${code})` : ""}]`;
  }
  const stats = outcome.stats;
  if (!stats) return `[${outcome.stopReason}]`;
  const speed = stats.tokensPerSecond === null ? "" : `, ${stats.tokensPerSecond.toFixed(0)} tok/s`;
  return `[${outcome.stopReason}: ${stats.generatedTokens} tokens${speed}]`;
}
