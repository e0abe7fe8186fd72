import os from "node:os";
import type { LlamaModel } from "node-llama-cpp";
import { formatNumber, type BehindNote } from "../report.ts";
import { median } from "../stats.ts";
import { plainPromptTokens } from "./plain-prompt.ts";
import { shortHistory } from "./prompts.ts";

/** Synchronous work per request above this is worth naming as a cause in the closing note. */
export const NOTABLE_SYNCHRONOUS_MS = 5;

/**
 * How long Rein's per-request prompt formatting (`chatPromptTokens` with the
 * model's chat wrapper, which the worker runs synchronously for every
 * completion) takes, measured in this process on the same model file: the
 * median of 5 calls after one warm-up. The closing note uses it to explain
 * time to first token and event-loop stalls.
 *
 * @example
 * ```ts
 * const formattingMs = chatPromptCostMs(plainModel);
 * ```
 */
export function chatPromptCostMs(model: LlamaModel): number {
  plainPromptTokens(model, shortHistory(89_999));
  const samples: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    const startedAt = performance.now();
    plainPromptTokens(model, shortHistory(90_000 + round));
    samples.push(performance.now() - startedAt);
  }
  return median(samples);
}

/**
 * The closing-note entry for slow per-request prompt formatting, shared by the
 * sections that can observe it (first token, stream stalls).
 *
 * @example
 * ```ts
 * if (formattingMs >= NOTABLE_SYNCHRONOUS_MS) return formattingNote(gap, formattingMs);
 * ```
 */
export function formattingNote(gap: string, formattingMs: number): BehindNote {
  return {
    cause: "per-request prompt formatting",
    gap,
    why: `The worker formats each prompt synchronously (\`chatPromptTokens\` took ${formatNumber(formattingMs)} ms per call here); meanwhile its event loop serves nothing: cancels wait and other streams' tokens pile up.`,
    fix: "Make per-request formatting cheap (resolve the chat wrapper once per model, tokenize only what changed) or move it off the worker's event loop.",
  };
}

/**
 * The 1-minute load average, for "the machine was busy" context next to tails.
 *
 * @example
 * ```ts
 * progress(`start (load average ${loadAverage()})`);
 * ```
 */
export function loadAverage(): string {
  // Windows reports [0, 0, 0]: no load average there.
  const oneMinute = os.loadavg()[0] ?? 0;
  return process.platform === "win32" ? "n/a" : oneMinute.toFixed(2);
}
