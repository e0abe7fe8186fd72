import { randomUUID } from "node:crypto";
import { DEFAULT_REMEMBERED_MAX_ENTRIES, RequestRegistry, type RequestContext } from "../../packages/server/src/registry/index.ts";
import type { BenchContext } from "../bench-context.ts";
import { blocks, formatInteger, formatMebibytes, formatNumber, markdownTable, verdict, type BehindNote, type SectionReport } from "../report.ts";
import { summarize } from "../stats.ts";

const IN_FLIGHT_LEVELS = [1, 1_000, 10_000];
const BROAD_CANCEL_COUNT = 10_000;
const HEAP_CYCLES = 100_000;
/** Throughput at 10k in flight must stay within this share of the 1-in-flight rate to count as O(1). */
const FLAT_RATIO = 0.5;
/** Heap growth over 100k cycles that still counts as flat (bounded tables, allocator noise). */
const FLAT_HEAP_BYTES = 2 * 1024 * 1024;

const OPERATIONS = ["begin", "cancel", "end"] as const;
type Operation = (typeof OPERATIONS)[number];

/**
 * Section 5: the worker's RequestRegistry alone, no model and no RPC:
 * begin/cancel/end rates with 1, 1k and 10k requests in flight, a broad
 * cancel of 10k, heap across 100k begin/cancel/end cycles, and the
 * remembered-cancel table at its bound.
 *
 * @example
 * ```ts
 * const section = await registryScaleSection(context);
 * ```
 */
export async function registryScaleSection(context: BenchContext): Promise<SectionReport> {
  const cycles = context.options.quick ? 10_000 : 50_000;
  const behind: BehindNote[] = [];
  const rows: string[][] = [];
  const rates = new Map<number, Record<Operation, number>>();
  for (const inFlight of IN_FLIGHT_LEVELS) {
    context.progress(`${cycles} cycles with ${inFlight} in flight`);
    const registry = new RequestRegistry();
    const background = await beginMany(registry, inFlight, (index) => `model-${index % 16}`);
    await measureCycles(registry, Math.min(cycles, 2_000));
    const timings = await measureCycles(registry, cycles);
    const rate = {} as Record<Operation, number>;
    for (const operation of OPERATIONS) {
      const samples = Array.from(timings[operation]);
      const totalMs = samples.reduce((sum, value) => sum + value, 0);
      rate[operation] = (samples.length * 1000) / totalMs;
      const summary = summarize(samples);
      rows.push([formatInteger(inFlight), operation, formatInteger(rate[operation]), ...[summary.p50, summary.p95, summary.p99, summary.max].map((value) => formatNumber(value * 1000, 1))]);
    }
    rates.set(inFlight, rate);
    await endAll(registry, background);
  }
  const scaleTable = markdownTable(["in flight", "operation", "ops/s", "p50 (µs)", "p95 (µs)", "p99 (µs)", "max (µs)"], rows);
  const verdicts: string[] = [];
  for (const operation of OPERATIONS) {
    const ratio = rates.get(10_000)![operation] / rates.get(1)![operation];
    const met = ratio >= FLAT_RATIO;
    verdicts.push(verdict(met, `${operation}: ${formatNumber(ratio)}x the 1-in-flight rate at 10k in flight (O(1) target: >= ${FLAT_RATIO}x).`));
    if (!met) {
      behind.push({
        gap: `Registry ${operation} runs at ${formatNumber(ratio)}x its 1-in-flight rate with 10k in flight.`,
        why: "An operation that walks the table (or a family tree) instead of a keyed lookup, or GC pressure from per-request allocations.",
        fix: "Profile the operation at 10k in flight (`node --cpu-prof`) and key the lookup it walks.",
      });
    }
  }

  context.progress(`broad cancel of ${BROAD_CANCEL_COUNT}`);
  const broad = await broadCancel();
  const broadTable = markdownTable(
    ["broad cancel `{ modelId }`", "requests", "cancel() (ms)", "µs / request", "ending all (ms)", "left in registry"],
    [["one model, 10k in flight", formatInteger(broad.cancelled), formatNumber(broad.cancelMs), formatNumber((broad.cancelMs * 1000) / broad.cancelled), formatNumber(broad.endMs), formatInteger(broad.left)]],
  );
  if (broad.cancelled !== BROAD_CANCEL_COUNT || broad.left !== 0) {
    behind.push({ gap: `Broad cancel reached ${broad.cancelled}/${BROAD_CANCEL_COUNT}, ${broad.left} left behind.`, why: "A registry bug.", fix: "Reproduce with registry unit tests." });
  }

  context.progress(`heap across ${HEAP_CYCLES} cycles`);
  const heap = await heapAcrossCycles();
  const heapMet = heap.after - heap.before <= FLAT_HEAP_BYTES && heap.size === 0;
  if (!heapMet) {
    behind.push({
      gap: `Registry heap grew ${formatMebibytes(heap.after - heap.before)} over ${formatInteger(HEAP_CYCLES)} cycles (${formatInteger(heap.size)} entries left).`,
      why: heap.gc ? "Something per request outlives its end (a table entry, a listener, a timer)." : "Without `--expose-gc` the heap was not collected before measuring, so this may be garbage.",
      fix: heap.gc ? "Take heap snapshots before and after and diff the retained objects." : "Run with `node --expose-gc --import tsx bench/run-bench.ts` (the npm script does).",
    });
  }
  const heapTable = markdownTable(
    ["heap (V8 heapUsed)", "before", "after 100k begin/cancel/end", "delta", "entries left", "tombstones", "gc"],
    [["registry", formatMebibytes(heap.before), formatMebibytes(heap.after), formatMebibytes(heap.after - heap.before), formatInteger(heap.size), formatInteger(heap.tombstones), heap.gc ? "forced (`--expose-gc`)" : "not available: numbers are noisy"]],
  );

  context.progress("remembered cancels at their bound");
  const remembered = rememberedBound();
  const rememberedMet = remembered.size <= DEFAULT_REMEMBERED_MAX_ENTRIES;
  if (!rememberedMet) {
    behind.push({ gap: `Remembered cancels grew to ${remembered.size}, above the bound ${DEFAULT_REMEMBERED_MAX_ENTRIES}.`, why: "Eviction does not run on insert.", fix: "Evict the oldest entries on every insert past the bound." });
  }
  const rememberedTable = markdownTable(
    ["remembered cancels (ids not begun yet)", "cancels sent", "table size", "bound", "µs / cancel"],
    [["unknown ids", formatInteger(remembered.sent), formatInteger(remembered.size), formatInteger(DEFAULT_REMEMBERED_MAX_ENTRIES), formatNumber((remembered.ms * 1000) / remembered.sent)]],
  );

  return {
    title: "5. Registry scale (no model)",
    body: blocks(
      `RequestRegistry from @rein/server used directly (ungated kinds, 16 model ids); one cycle = \`begin\` -> \`cancel({ requestId })\` -> \`end()\`, each operation timed on its own (µs). ${formatInteger(cycles)} measured cycles per level after a warm-up.`,
      scaleTable,
      verdicts.join("\n\n"),
      broadTable,
      heapTable,
      verdict(heapMet, `heap ${heapMet ? "flat" : "grew"} across ${formatInteger(HEAP_CYCLES)} cycles (delta ${formatMebibytes(heap.after - heap.before)}, bound ${formatMebibytes(FLAT_HEAP_BYTES)}).`),
      rememberedTable,
      verdict(rememberedMet, `remembered cancels stay within their bound (${formatInteger(remembered.size)} <= ${formatInteger(DEFAULT_REMEMBERED_MAX_ENTRIES)}).`),
    ),
    behind,
  };
}

async function beginMany(registry: RequestRegistry, count: number, modelId: (index: number) => string): Promise<RequestContext[]> {
  const contexts: RequestContext[] = [];
  for (let index = 0; index < count; index += 1) {
    contexts.push(await registry.begin({ requestId: randomUUID(), kind: "completion", modelId: modelId(index) }));
  }
  return contexts;
}

async function endAll(registry: RequestRegistry, contexts: RequestContext[]): Promise<void> {
  await Promise.all(contexts.map((context) => context.end()));
  if (registry.size !== 0) throw new Error(`registry kept ${registry.size} entries after ending all`);
}

async function measureCycles(registry: RequestRegistry, cycles: number): Promise<Record<Operation, Float64Array>> {
  const ids = Array.from({ length: cycles }, () => randomUUID());
  const timings = { begin: new Float64Array(cycles), cancel: new Float64Array(cycles), end: new Float64Array(cycles) };
  for (let index = 0; index < cycles; index += 1) {
    const beginAt = performance.now();
    const context = await registry.begin({ requestId: ids[index]!, kind: "completion", modelId: "measured" });
    const cancelAt = performance.now();
    const cancelled = registry.cancel({ requestId: ids[index]! });
    const endAt = performance.now();
    await context.end();
    const doneAt = performance.now();
    if (cancelled !== 1) throw new Error(`cancel of a live request counted ${cancelled}`);
    timings.begin[index] = cancelAt - beginAt;
    timings.cancel[index] = endAt - cancelAt;
    timings.end[index] = doneAt - endAt;
  }
  return timings;
}

async function broadCancel(): Promise<{ cancelled: number; cancelMs: number; endMs: number; left: number }> {
  const registry = new RequestRegistry();
  const contexts = await beginMany(registry, BROAD_CANCEL_COUNT, () => "broad");
  const startedAt = performance.now();
  const cancelled = registry.cancel({ modelId: "broad" });
  const cancelledAt = performance.now();
  await Promise.all(contexts.map((context) => context.end()));
  const endedAt = performance.now();
  return { cancelled, cancelMs: cancelledAt - startedAt, endMs: endedAt - cancelledAt, left: registry.size };
}

async function heapAcrossCycles(): Promise<{ before: number; after: number; size: number; tombstones: number; gc: boolean }> {
  const collect = (globalThis as { gc?: () => void }).gc;
  const settle = async () => {
    for (let pass = 0; pass < 3; pass += 1) {
      collect?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return process.memoryUsage().heapUsed;
  };
  const registry = new RequestRegistry();
  const cycle = async () => {
    const requestId = randomUUID();
    const context = await registry.begin({ requestId, kind: "completion", modelId: "heap" });
    registry.cancel({ requestId });
    await context.end();
  };
  // Fill the bounded tombstone table first, so "before" already holds its steady state.
  for (let index = 0; index < 5_000; index += 1) await cycle();
  const before = await settle();
  for (let index = 0; index < HEAP_CYCLES; index += 1) await cycle();
  const after = await settle();
  return { before, after, size: registry.size, tombstones: registry.cancelledTombstoneCount, gc: collect !== undefined };
}

function rememberedBound(): { sent: number; size: number; ms: number } {
  const registry = new RequestRegistry();
  const sent = 10_000;
  const ids = Array.from({ length: sent }, () => randomUUID());
  const startedAt = performance.now();
  for (const requestId of ids) registry.cancel({ requestId });
  const ms = performance.now() - startedAt;
  return { sent, size: registry.rememberedCancelCount, ms };
}
