import type { ReinClient } from "@rein/sdk";
import { formatNumber, markdownTable } from "../report.ts";
import { summarize } from "../stats.ts";
import type { GenerationTrace } from "./generation-trace.ts";

/** What `bench.hotPath` `firstTokenStages` answers: the worker's `performance.now()` stamps per request and its time origin. */
export interface WorkerFirstTokenStages {
  timeOrigin: number;
  stages: ({
    receivedAt: number;
    startedAt?: number;
    generatingAt?: number;
    firstTextAt?: number;
    firstSentAt?: number;
  } | null)[];
}

/** One Rein run with the worker's stage times on its way to the first text. */
export interface FirstTokenRound {
  trace: GenerationTrace;
  worker: { timeOrigin: number; stages: NonNullable<WorkerFirstTokenStages["stages"][number]> } | null;
}

/**
 * The worker's first-token stage times of `traces` (one call for all of them), paired with each trace.
 * Needs a client started with `HOT_PATH_OP` among its op modules.
 *
 * @example
 * ```ts
 * const rounds = await workerFirstTokenStages(client, traces);
 * ```
 */
export async function workerFirstTokenStages(client: ReinClient, traces: readonly GenerationTrace[]): Promise<FirstTokenRound[]> {
  const requestIds = traces.map((trace) => trace.requestId ?? "");
  const answer = await client.call<WorkerFirstTokenStages>("bench.hotPath", { action: "firstTokenStages", requestIds });
  return traces.map((trace, index) => {
    const stages = answer.stages[index];
    return { trace, worker: stages == null ? null : { timeOrigin: answer.timeOrigin, stages } };
  });
}

type Stages = NonNullable<WorkerFirstTokenStages["stages"][number]>;

interface Stage {
  label: string;
  clock: string;
  value: (trace: GenerationTrace, worker: Stages, toClient: (workerTime: number) => number) => number | undefined;
}

const CLIENT = "client";
const WORKER = "worker";
const CROSS = "both (epoch)";

/** The stages, in the order a request passes them. `toClient` maps a worker time onto the client's clock via both time origins. */
const STAGES: Stage[] = [
  { label: "client + pipe: `completion()` called -> worker read the call frame", clock: CROSS, value: (trace, worker, toClient) => diff(toClient(worker.receivedAt), trace.calledAt) },
  { label: "worker: read -> op started (call and input validated, registry admission, model looked up)", clock: WORKER, value: (_trace, worker) => diff(worker.startedAt, worker.receivedAt) },
  { label: "worker: op started -> generating (prompt formatted and tokenized, sequence state adapted)", clock: WORKER, value: (_trace, worker) => diff(worker.generatingAt, worker.startedAt) },
  { label: "worker: generating -> first text (node-llama-cpp: prompt evaluated, first token sampled)", clock: WORKER, value: (_trace, worker) => diff(worker.firstTextAt, worker.generatingAt) },
  { label: "worker: first text -> first delta handed to the connection", clock: WORKER, value: (_trace, worker) => diff(worker.firstSentAt, worker.firstTextAt) },
  { label: "pipe + client: first delta handed over -> the consumer's `for await` has it", clock: CROSS, value: (trace, worker, toClient) => diff(trace.firstChunkAt, worker.firstSentAt === undefined ? undefined : toClient(worker.firstSentAt)) },
  { label: "both hops + client, same-clock: TTFT - (worker read -> first delta handed over)", clock: `${CLIENT} - ${WORKER}`, value: (trace, worker) => {
    const total = diff(trace.firstChunkAt, trace.calledAt);
    const residence = diff(worker.firstSentAt, worker.receivedAt);
    return total === undefined || residence === undefined ? undefined : total - residence;
  } },
  { label: "**client: `completion()` called -> first text in the loop (TTFT)**", clock: CLIENT, value: (trace) => diff(trace.firstChunkAt, trace.calledAt) },
];

function diff(later: number | null | undefined, earlier: number | null | undefined): number | undefined {
  return later == null || earlier == null ? undefined : later - earlier;
}

/**
 * Time to first token through Rein stage by stage (µs): a markdown table and how to read it, beside the
 * in-process TTFT of the same rounds (`plainFirstTokenMs`). Intervals within one process use that
 * process's `performance.now()`; the two pipe rows compare clocks across processes through
 * `performance.timeOrigin + now()` (same machine), while the same-clock row needs no shared clock.
 *
 * @example
 * ```ts
 * const table = firstTokenBreakdown(rounds, plainFirstTokenMs);
 * ```
 */
export function firstTokenBreakdown(rounds: readonly FirstTokenRound[], plainFirstTokenMs: readonly number[]): string {
  const clientOrigin = performance.timeOrigin;
  const rows: string[][] = [];
  const complete = rounds.filter((round) => round.worker !== null && round.trace.firstChunkAt !== null);
  const row = (label: string, clock: string, samples: number[]) => {
    if (samples.length === 0) return rows.push([label, clock, "0", "–", "–", "–"]);
    const summary = summarize(samples);
    return rows.push([label, clock, String(summary.count), ...[summary.p50, summary.p95, summary.max].map((value) => formatNumber(value, 0))]);
  };
  for (const stage of STAGES) {
    const samples: number[] = [];
    for (const round of complete) {
      const worker = round.worker!;
      const toClient = (workerTime: number) => worker.timeOrigin + workerTime - clientOrigin;
      const value = stage.value(round.trace, worker.stages, toClient);
      if (value !== undefined && Number.isFinite(value)) samples.push(value * 1000);
    }
    row(stage.label, stage.clock, samples);
  }
  row("plain node-llama-cpp in-process TTFT, same rounds (formatting, prompt evaluation, first token)", CLIENT, plainFirstTokenMs.map((value) => value * 1000));
  const table = markdownTable(["stage (µs)", "clock", "n", "p50", "p95", "max"], rows);
  const note =
    "Stages of the Rein runs of the table above (each lane of a parallel round counts once). The worker stamps with its own `performance.now()` (`FirstTokenTimeline`, read after each round by the bench-only op `bench.hotPath`); the two cross-process rows compare the processes' clocks through `performance.timeOrigin + now()` (same machine; the origins can be skewed by up to a few hundred µs, so read their split with care), while the same-clock row subtracts the worker's own residence time from the client's TTFT and needs no shared clock. \"generating -> first text\" is the engine's own work and matches the in-process row less the formatting; the rest is Rein's request path.";
  return `${table}\n\n${note}`;
}
