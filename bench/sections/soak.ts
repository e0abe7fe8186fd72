import { InferenceCancelledError, RequestTimeoutError, type ReinClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";
import type { BenchContext } from "../bench-context.ts";
import { shortHistory } from "../harness/prompts.ts";
import type { WorkerMemory } from "../harness/memory-op.ts";
import { reinModelConfig, startReinClient } from "../harness/rein-engine.ts";
import { blocks, formatInteger, formatMebibytes, formatNumber, markdownTable, verdict, type BehindNote, type SectionReport } from "../report.ts";
import { summarize } from "../stats.ts";

/** Requests in flight at once: more than the model's 2 sequences, so the admission queue is exercised too. */
const CONCURRENCY = 6;
/** A request that has not settled after this long counts as hung (the soak's whole point is that none does). */
const HANG_AFTER_MS = 60_000;

type Outcome = "completed" | "cancelled" | "timeout" | "unexpected error" | "hung";

interface RequestRecord {
  kind: string;
  outcome: Outcome;
  detail?: string;
  durationMs: number;
}

/**
 * Section 6: 1,000 mixed requests through a real worker (tiny model,
 * `parallel: 2`, 6 at once): completions of random length with every cancel
 * style (none, before send, after a delay, leaving the loop, AbortSignal,
 * deadline, broad cancel by model) and embeddings, some cancelled. Checks that
 * every request settled with an expected outcome, the worker's registry is
 * empty at the end, and how the worker's RSS moved.
 *
 * @example
 * ```ts
 * const section = await soakSection(context);
 * ```
 */
export async function soakSection(context: BenchContext): Promise<SectionReport> {
  const { threads, soakRequests: total } = context.options;
  const random = seededRandom(20_240_601);
  const modelPath = await testModelPath({ preset: "tiny" });
  // A bench-only op reports the worker's memory after a forced GC, so heap numbers are not garbage.
  await using client = await startReinClient({ threads, opModules: [new URL("../harness/memory-op.ts", import.meta.url)], exposeGc: true });
  const memory = () => client.call<WorkerMemory>("bench.memory", {});
  const modelId = await client.loadModel({ modelSrc: modelPath, modelConfig: reinModelConfig({ threads, contextSize: 4096, parallel: 2 }) });
  for (let index = 0; index < 20; index += 1) await runOne(client, modelId, random, -index - 1);
  const before = await client.inspect();
  const memoryBefore = await memory();

  context.progress(`${total} mixed requests, ${CONCURRENCY} at once`);
  const records: RequestRecord[] = [];
  // RSS and heap every quarter: a steady climb across quarters (not one step) would point at a leak.
  const quarters: WorkerMemory[] = [];
  const quarter = Math.max(1, Math.floor(total / 4));
  let next = 0;
  const startedAt = performance.now();
  const lanes = Array.from({ length: CONCURRENCY }, async () => {
    while (next < total) {
      const index = next++;
      records.push(await runOne(client, modelId, random, index));
      if (records.length % 100 === 0) context.progress(`${records.length}/${total} settled`);
      if (records.length % quarter === 0 && quarters.length < 4) quarters.push(await memory());
    }
  });
  await Promise.all(lanes);
  const elapsedMs = performance.now() - startedAt;
  const after = await client.inspect();
  return report({ records, total, elapsedMs, before, after, memoryBefore, quarters });
}

/** One mixed request, chosen by the seeded generator; resolves with how it ended (never rejects). */
async function runOne(client: ReinClient, modelId: string, random: () => number, index: number): Promise<RequestRecord> {
  const startedAt = performance.now();
  const pick = random();
  const delayMs = Math.floor(random() * 40);
  const maxTokens = 1 + Math.floor(random() * 300);
  const history = shortHistory(100_000 + index);
  let kind: string;
  let work: Promise<Outcome>;
  if (pick < 0.2) {
    kind = "embed";
    const cancelIt = random() < 0.3;
    const texts = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, item) => `text ${index}.${item} about cancellation`);
    const embedding = client.embed({ modelId, texts });
    if (cancelIt) setTimeout(() => void embedding.cancel(), delayMs);
    work = embedding.then(() => "completed" as const, classifyError);
  } else {
    const style = completionStyle(pick);
    kind = `completion: ${style}`;
    work = completion(client, modelId, { history, maxTokens, delayMs, style, cutAfterChunks: 1 + Math.floor(random() * 20) });
  }
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve("hung"), HANG_AFTER_MS);
  });
  try {
    const outcome = await Promise.race([work, hung]);
    return { kind, outcome, durationMs: performance.now() - startedAt };
  } catch (error) {
    return { kind, outcome: "unexpected error", detail: String(error), durationMs: performance.now() - startedAt };
  } finally {
    clearTimeout(timer);
  }
}

type CompletionStyle = "uncancelled" | "cancel before send" | "cancel after delay" | "leave loop early" | "AbortSignal" | "deadline" | "broad cancel by model";

function completionStyle(pick: number): CompletionStyle {
  // Broad cancels are rare: each one also stops every other completion on the model.
  if (pick < 0.42) return "uncancelled";
  if (pick < 0.5) return "cancel before send";
  if (pick < 0.66) return "cancel after delay";
  if (pick < 0.78) return "leave loop early";
  if (pick < 0.87) return "AbortSignal";
  if (pick < 0.96) return "deadline";
  return "broad cancel by model";
}

async function completion(
  client: ReinClient,
  modelId: string,
  plan: { history: ReturnType<typeof shortHistory>; maxTokens: number; delayMs: number; style: CompletionStyle; cutAfterChunks: number },
): Promise<Outcome> {
  const controller = plan.style === "AbortSignal" ? new AbortController() : undefined;
  const run = client.completion({
    modelId,
    history: plan.history,
    maxTokens: plan.maxTokens,
    temperature: 0.8,
    seed: 7,
    signal: controller?.signal,
    timeoutMs: plan.style === "deadline" ? 5 + plan.delayMs : undefined,
  });
  let timer: NodeJS.Timeout | undefined;
  if (plan.style === "cancel before send") void run.cancel();
  if (plan.style === "cancel after delay") timer = setTimeout(() => void run.cancel(), plan.delayMs);
  if (plan.style === "AbortSignal") timer = setTimeout(() => controller!.abort(), plan.delayMs);
  if (plan.style === "broad cancel by model") timer = setTimeout(() => void client.cancel({ modelId, kind: "completion" }), plan.delayMs);
  let chunks = 0;
  let doneEvents = 0;
  let eventsAfterDone = 0;
  let lastStop: string | undefined;
  try {
    for await (const event of run.events) {
      if (doneEvents > 0) eventsAfterDone += 1;
      if (event.type === "contentDelta") chunks += 1;
      if (event.type === "completionDone") {
        doneEvents += 1;
        lastStop = event.stopReason;
      }
      if (plan.style === "leave loop early" && chunks >= plan.cutAfterChunks) break;
    }
  } finally {
    clearTimeout(timer);
  }
  const outcome = await run.final.then(() => "completed" as const, classifyError);
  if (plan.style !== "leave loop early" && (doneEvents !== 1 || eventsAfterDone > 0)) {
    throw new Error(`event stream broke its contract: ${doneEvents} completionDone, ${eventsAfterDone} events after it`);
  }
  if (plan.style !== "leave loop early" && lastStop !== undefined && outcome !== stopReasonOutcome(lastStop)) {
    throw new Error(`completionDone said ${lastStop} but the promise settled as ${outcome}`);
  }
  return outcome;
}

function stopReasonOutcome(stopReason: string): Outcome {
  if (stopReason === "cancelled") return "cancelled";
  if (stopReason === "timeout") return "timeout";
  if (stopReason === "error") return "unexpected error";
  return "completed";
}

function classifyError(error: unknown): Outcome {
  if (InferenceCancelledError.isInstance(error)) return "cancelled";
  if (RequestTimeoutError.isInstance(error)) return "timeout";
  throw error;
}

function report(data: {
  records: RequestRecord[];
  total: number;
  elapsedMs: number;
  before: Awaited<ReturnType<ReinClient["inspect"]>>;
  after: Awaited<ReturnType<ReinClient["inspect"]>>;
  memoryBefore: WorkerMemory;
  quarters: WorkerMemory[];
}): SectionReport {
  const { records, before, after } = data;
  const byKind = new Map<string, Map<Outcome, number>>();
  for (const record of records) {
    const outcomes = byKind.get(record.kind) ?? new Map<Outcome, number>();
    outcomes.set(record.outcome, (outcomes.get(record.outcome) ?? 0) + 1);
    byKind.set(record.kind, outcomes);
  }
  const outcomeNames: Outcome[] = ["completed", "cancelled", "timeout", "unexpected error", "hung"];
  const outcomeRows = [...byKind.entries()]
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([kind, outcomes]) => [kind, formatInteger([...outcomes.values()].reduce((sum, value) => sum + value, 0)), ...outcomeNames.map((name) => formatInteger(outcomes.get(name) ?? 0))]);
  const bad = records.filter((record) => record.outcome === "unexpected error" || record.outcome === "hung");
  const settled = records.length === data.total && bad.length === 0;
  const registryEmpty = after.requests.length === 0 && after.queued === 0;
  const balanced = after.counters.begun === after.counters.ended;
  const duration = summarize(records.map((record) => record.durationMs));
  const behind: BehindNote[] = [];
  if (!settled) {
    behind.push({
      gap: `Soak: ${bad.length} of ${data.total} requests ended badly (${bad.slice(0, 3).map((record) => `${record.kind}: ${record.outcome} ${record.detail ?? ""}`).join("; ")}).`,
      why: "A request path that neither completes nor reports its cancel (see the first failures listed).",
      fix: "Reproduce the failing style in a test under test/ with the same seed.",
    });
  }
  if (!registryEmpty) {
    behind.push({
      gap: `Soak: ${after.requests.length} registry entries (${after.queued} queued) left after every request settled.`,
      why: "A path that answers the client without ending its registry entry.",
      fix: "Check that every path of executeCall ends the entry (inspect().requests shows which kind and state).",
    });
  }
  const outcomeTable = markdownTable(["request", "n", ...outcomeNames], outcomeRows);
  const memoryRow = (label: string, memory: WorkerMemory) => [label, formatMebibytes(memory.rss), formatMebibytes(memory.heapUsed), formatMebibytes(memory.external), formatMebibytes(memory.arrayBuffers)];
  const memoryTable = markdownTable(
    [`worker memory (${data.memoryBefore.collected ? "after a forced GC" : "GC not exposed: includes garbage"})`, "RSS", "JS heap used", "external", "array buffers"],
    [memoryRow("after warm-up", data.memoryBefore), ...data.quarters.map((memory, index) => memoryRow(`after ${(index + 1) * 25}% of the requests`, memory))],
  );
  const stateTable = markdownTable(
    ["worker state", "after warm-up", "after soak"],
    [
      ["registry entries / queued", `${before.requests.length} / ${before.queued}`, `${after.requests.length} / ${after.queued}`],
      ["begun / ended (worker counters)", `${formatInteger(before.counters.begun)} / ${formatInteger(before.counters.ended)}`, `${formatInteger(after.counters.begun)} / ${formatInteger(after.counters.ended)}`],
      ["remembered cancels", formatInteger(before.rememberedCancels), formatInteger(after.rememberedCancels)],
    ],
  );
  const last = data.quarters.at(-1) ?? data.memoryBefore;
  const rssGrowth = last.rss - data.memoryBefore.rss;
  const heapGrowth = last.heapUsed + last.external - (data.memoryBefore.heapUsed + data.memoryBefore.external);
  return {
    title: "6. Soak",
    body: blocks(
      `${formatInteger(data.total)} mixed requests through one real worker (tiny model, parallel 2, ${CONCURRENCY} at once, seeded) in ${formatNumber(data.elapsedMs / 1000, 1)} s; request duration p50 ${formatNumber(duration.p50, 1)} ms, p99 ${formatNumber(duration.p99, 1)} ms, max ${formatNumber(duration.max, 1)} ms.`,
      outcomeTable,
      stateTable,
      memoryTable,
      [
        verdict(settled, `all ${formatInteger(data.total)} requests settled with an expected outcome (${bad.length} unexpected or hung).`),
        verdict(registryEmpty && balanced, `registry empty at the end (${after.requests.length} entries, ${after.queued} queued; begun ${after.counters.begun} = ended ${after.counters.ended}: ${balanced ? "yes" : "no"}).`),
        `Worker RSS ${signed(rssGrowth)} over the soak, of which JS heap + external ${signed(heapGrowth)}; the rest is native memory (llama.cpp, the allocator's high-water mark).`,
      ].join("\n\n"),
    ),
    behind,
  };
}

function signed(bytes: number): string {
  return `${bytes >= 0 ? "+" : ""}${formatMebibytes(bytes)}`;
}

/** mulberry32: a tiny seeded generator, so a soak can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
