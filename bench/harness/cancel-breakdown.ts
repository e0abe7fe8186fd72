import type { ReinClient } from "@rein/sdk";
import { formatNumber, markdownTable } from "../report.ts";
import { summarize } from "../stats.ts";
import type { GenerationTrace } from "./generation-trace.ts";

/** The bench-only op module that reads the worker's side (event-loop delay, cancel stage times). */
export const HOT_PATH_OP = new URL("./hot-path-op.mjs", import.meta.url);

/** What `bench.hotPath` `cancelStages` answers: the worker's `performance.now()` stamps and its time origin. */
export interface WorkerCancelStages {
  timeOrigin: number;
  stages: {
    receivedAt: number;
    abortedAt?: number;
    acknowledgedAt?: number;
    nativeStoppedAt?: number;
    finalRepliedAt?: number;
  } | null;
}

/** One cancelled Rein run with the worker's stage times of its cancel. */
export interface CancelRound {
  trace: GenerationTrace;
  worker: WorkerCancelStages | null;
}

/**
 * The worker's stage times of the cancel of `trace` (null when the run was not cancelled or the worker kept none).
 *
 * @example
 * ```ts
 * const worker = await workerCancelStages(client, trace);
 * ```
 */
export async function workerCancelStages(client: ReinClient, trace: GenerationTrace): Promise<WorkerCancelStages | null> {
  if (trace.requestId === null || trace.cancelAt === null) return null;
  return client.call<WorkerCancelStages>("bench.hotPath", { action: "cancelStages", requestId: trace.requestId });
}

interface Stage {
  label: string;
  clock: string;
  value: (trace: GenerationTrace, worker: NonNullable<WorkerCancelStages["stages"]>, toClient: (workerTime: number) => number) => number | undefined;
}

const CLIENT = "client";
const WORKER = "worker";
const CROSS = "both (epoch)";

/** The stages, in the order a cancel passes them. `toClient` maps a worker time onto the client's clock via both time origins. */
const STAGES: Stage[] = [
  { label: "client: `cancel()` called -> returned (its frame leaves in this run's one write)", clock: CLIENT, value: (trace) => diff(trace.cancelSentAt, trace.cancelAt) },
  { label: "pipe: `cancel()` returned -> worker read the frame", clock: CROSS, value: (trace, worker, toClient) => diff(toClient(worker.receivedAt), trace.cancelSentAt) },
  { label: "worker: read -> request aborted (registry cancel, abort listeners, last text flushed)", clock: WORKER, value: (_trace, worker) => diff(worker.abortedAt, worker.receivedAt) },
  { label: "worker: aborted -> acknowledgement written", clock: WORKER, value: (_trace, worker) => diff(worker.acknowledgedAt, worker.abortedAt) },
  { label: "pipe + client: acknowledgement written -> `cancel()` resolved", clock: CROSS, value: (trace, worker, toClient) => diff(trace.cancelRepliedAt, worker.acknowledgedAt === undefined ? undefined : toClient(worker.acknowledgedAt)) },
  { label: "both hops, same-clock: (call -> `cancel()` resolved) - (worker read -> ack written)", clock: `${CLIENT} - ${WORKER}`, value: (trace, worker) => {
    const roundTrip = diff(trace.cancelRepliedAt, trace.cancelAt);
    const residence = diff(worker.acknowledgedAt, worker.receivedAt);
    return roundTrip === undefined || residence === undefined ? undefined : roundTrip - residence;
  } },
  { label: "**client: `cancel()` called -> `completionDone` in the loop (the measured latency)**", clock: CLIENT, value: (trace) => diff(trace.settledAt, trace.cancelAt) },
  { label: "worker: aborted -> native stop (the engine returned: the decode step in flight finished)", clock: WORKER, value: (_trace, worker) => diff(worker.nativeStoppedAt, worker.abortedAt) },
  { label: "worker: native stop -> final reply written", clock: WORKER, value: (_trace, worker) => diff(worker.finalRepliedAt, worker.nativeStoppedAt) },
];

function diff(later: number | null | undefined, earlier: number | null | undefined): number | undefined {
  return later == null || earlier == null ? undefined : later - earlier;
}

/**
 * The cancel path stage by stage (µs): a markdown table and how to read it. Intervals within one process use
 * that process's `performance.now()`; the two pipe hops compare clocks across processes through
 * `performance.timeOrigin + now()` (same machine), so their split can be off by the origins' skew, while
 * "both hops, same-clock" uses each clock only for its own side and is exact.
 *
 * @example
 * ```ts
 * const table = cancelBreakdown(rounds);
 * ```
 */
export function cancelBreakdown(rounds: readonly CancelRound[]): string {
  const clientOrigin = performance.timeOrigin;
  const rows: string[][] = [];
  const complete = rounds.filter((round) => round.worker?.stages != null && round.trace.cancelAt !== null);
  for (const stage of STAGES) {
    const samples: number[] = [];
    for (const round of complete) {
      const worker = round.worker!;
      const toClient = (workerTime: number) => worker.timeOrigin + workerTime - clientOrigin;
      const value = stage.value(round.trace, worker.stages!, toClient);
      if (value !== undefined && Number.isFinite(value)) samples.push(value * 1000);
    }
    if (samples.length === 0) {
      rows.push([stage.label, stage.clock, "0", "–", "–", "–", "–"]);
      continue;
    }
    const summary = summarize(samples);
    rows.push([stage.label, stage.clock, String(summary.count), ...[summary.p50, summary.p95, summary.p99, summary.max].map((value) => formatNumber(value, 0))]);
  }
  const table = markdownTable(["stage (µs)", "clock", "n", "p50", "p95", "p99", "max"], rows);
  const note =
    "Stages of the same runs as the table above. Client and worker each stamp with their own `performance.now()`; the two pipe rows compare the processes' clocks through `performance.timeOrigin + now()` (same machine; the origins can be skewed by a few µs to a few hundred µs, so read their split with care), while \"both hops, same-clock\" subtracts the worker's own residence time from the client's round trip and needs no shared clock. The cancel frame is handed to the pipe when the client's current synchronous run ends (one write per run, see docs/hot-path.md), so the first pipe row starts when `cancel()` returned and includes that last step. The native stop happens after the acknowledgement: the app's stream ends on the acknowledgement, the model is free at the native stop.";
  return `${table}\n\n${note}`;
}
