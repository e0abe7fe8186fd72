import { monitorEventLoopDelay } from "node:perf_hooks";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ReinClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";
import type { BenchContext } from "../bench-context.ts";
import type { ModelPreset } from "../bench-options.ts";
import { HOT_PATH_OP } from "../harness/cancel-breakdown.ts";
import { createPlainContext, loadPlainModel, plainLlama } from "../harness/plain-engine.ts";
import { shortHistory } from "../harness/prompts.ts";
import { reinModelConfig, runReinGeneration, startReinClient } from "../harness/rein-engine.ts";
import { resolveChatWrapper } from "node-llama-cpp";
import { blocks, formatNumber, markdownTable, verdict, type BehindNote, type SectionReport } from "../report.ts";
import { summarize } from "../stats.ts";

const CONTEXT_SIZE = 2048;
/** "Nothing of ours blocks the worker's event loop for more than a few milliseconds" (issue 17), as a number. */
const BLOCK_TARGET_MS = 5;
/** A model id nothing is loaded under: a broad cancel on it is a pure round trip that changes no state. */
const NO_SUCH_MODEL = "bench-no-such-model";

interface EventLoopReading {
  maxMs: number | null;
  p99Ms: number | null;
  meanMs: number | null;
  samples: number;
  /** The main thread's schedstat split (Linux): its longest on-CPU stretch between two 1 ms ticks, and the longest gap's split. */
  cpu: { longestRunMs: number; longestGapMs: number; gapRunMs: number; gapWaitMs: number } | null;
}

interface PhaseResult {
  label: string;
  loop: EventLoopReading;
  /** Cancel round trips sent while the phase ran (ms). */
  cancels: number[];
}

/**
 * Section: the worker's event loop. `monitorEventLoopDelay` (1 ms period) runs in the worker through a bench-only
 * op while it loads models (the first load of a file and later ones), streams, and takes cancel storms; cancels
 * (pure round trips) are sent meanwhile, so "a cancel sent while the worker loads a model" is measured directly.
 * The same monitor in this process during plain node-llama-cpp loads tells node-llama-cpp's own blocks apart.
 *
 * @example
 * ```ts
 * const section = await eventLoopSection(context);
 * ```
 */
export async function eventLoopSection(context: BenchContext): Promise<SectionReport> {
  const parts: SectionReport[] = [];
  for (const preset of context.options.presets) parts.push(await eventLoopForPreset(context, preset));
  return {
    title: "Worker event loop: longest block",
    body: blocks(...parts.map((part) => `### ${part.title}\n\n${part.body}`)),
    behind: parts.flatMap((part) => part.behind),
  };
}

async function eventLoopForPreset(context: BenchContext, preset: ModelPreset): Promise<SectionReport> {
  const { threads, quick } = context.options;
  const modelPath = await testModelPath({ preset });
  const modelConfig = reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 2 });
  // A fresh cache dir: a worker keeps each model file's chat-template choice there for later workers, and the
  // first phase measures the resolution itself (the first load of a file on a machine).
  const cacheDir = await mkdtemp(path.join(tmpdir(), "rein-bench-event-loop-"));
  await using cleanup = { [Symbol.asyncDispose]: () => rm(cacheDir, { recursive: true, force: true }) };
  await using client = await startReinClient({ threads, opModules: [HOT_PATH_OP], cacheDir });
  const phases: PhaseResult[] = [];
  const loads = quick ? 3 : 6;

  context.progress(`${preset}: first load of the file, then ${loads} more, cancels sent meanwhile`);
  let modelId = "";
  phases.push(await phase(client, "first `loadModel` of the file on this machine (chat template resolved)", async () => {
    modelId = await client.loadModel({ modelSrc: modelPath, modelConfig });
  }));
  await client.unloadModel({ modelId });
  phases.push(await phase(client, `${loads} later loads + unloads of the same file`, async () => {
    for (let index = 0; index < loads; index += 1) {
      const id = await client.loadModel({ modelSrc: modelPath, modelConfig });
      await client.unloadModel({ modelId: id });
    }
  }));
  modelId = await client.loadModel({ modelSrc: modelPath, modelConfig });

  const settings = { maxTokens: preset === "tiny" ? 512 : 256, temperature: 0.8, seed: 42 };
  context.progress(`${preset}: streaming, parallel 2`);
  phases.push(await phase(client, "streaming, 2 runs at once (parallel 2), x3", async () => {
    for (let round = 0; round < 3; round += 1) {
      await Promise.all([0, 1].map((lane) => runReinGeneration({ client, modelId, history: shortHistory(70_000 + round * 2 + lane), settings, cancel: { kind: "none" } })));
    }
  }));
  const storms = quick ? 10 : 30;
  context.progress(`${preset}: ${storms} cancel storms`);
  phases.push(await phase(client, `cancel storms: ${storms} x (4 runs started, each cancelled after 1-8 chunks; 2 run, 2 queue)`, async () => {
    for (let storm = 0; storm < storms; storm += 1) {
      await Promise.all(
        [0, 1, 2, 3].map((lane) =>
          runReinGeneration({ client, modelId, history: shortHistory(80_000 + storm * 4 + lane), settings, cancel: { kind: "afterChunks", chunks: 1 + ((storm + lane * 3) % 8) } }),
        ),
      );
    }
  }));
  await client.unloadModel({ modelId });

  context.progress(`${preset}: plain node-llama-cpp loads, this process's own event loop`);
  const plain = await plainLoadBlocks(modelPath, threads, loads);
  return report({ preset, phases, plain });
}

/** Runs `activity` with the worker's delay monitor on and cancel round trips sent back to back meanwhile. */
async function phase(client: ReinClient, label: string, activity: () => Promise<void>): Promise<PhaseResult> {
  await client.call("bench.hotPath", { action: "watchEventLoop" });
  const cancels: number[] = [];
  let done = false;
  const sender = (async () => {
    while (!done) {
      const startedAt = performance.now();
      await client.cancel({ modelId: NO_SUCH_MODEL });
      cancels.push(performance.now() - startedAt);
      // A short pause so the sender measures the loop rather than saturating it.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  try {
    await activity();
  } finally {
    done = true;
    await sender;
  }
  const loop = await client.call<EventLoopReading>("bench.hotPath", { action: "readEventLoop" });
  return { label, loop, cancels };
}

interface PlainLoadBlocks {
  /** Longest event-loop delay in this process during load + context creation (node-llama-cpp's own synchronous parts). */
  loadMs: number;
  /** The longest single `resolveChatWrapper` call: synchronous from start to end. */
  chatWrapperMs: number;
}

/** This process's longest event-loop delay while plain node-llama-cpp loads, and what `resolveChatWrapper` blocks on its own. */
async function plainLoadBlocks(modelPath: string, threads: number, loads: number): Promise<PlainLoadBlocks> {
  await plainLlama();
  const result: PlainLoadBlocks = { loadMs: 0, chatWrapperMs: 0 };
  for (let index = 0; index < loads; index += 1) {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const model = await loadPlainModel(modelPath);
    const plain = await createPlainContext(model, { threads, contextSize: CONTEXT_SIZE, sequences: 2 });
    await new Promise((resolve) => setTimeout(resolve, 2));
    histogram.disable();
    const startedAt = performance.now();
    resolveChatWrapper(model);
    result.chatWrapperMs = Math.max(result.chatWrapperMs, performance.now() - startedAt);
    result.loadMs = Math.max(result.loadMs, histogram.max / 1e6);
    await plain.dispose();
    await model.dispose();
  }
  return result;
}

function report(data: { preset: string; phases: PhaseResult[]; plain: PlainLoadBlocks }): SectionReport {
  const rows = data.phases.map((phase) => {
    const cancels = summarize(phase.cancels);
    const cpu = phase.loop.cpu;
    return [
      phase.label,
      formatNumber(phase.loop.maxMs),
      formatNumber(phase.loop.p99Ms),
      cpu === null ? "n/a" : formatNumber(cpu.longestRunMs),
      cpu === null ? "n/a" : `${formatNumber(cpu.gapRunMs)} / ${formatNumber(cpu.gapWaitMs)}`,
      String(phase.loop.samples),
      String(cancels.count),
      formatNumber(cancels.p50),
      formatNumber(cancels.p99),
      formatNumber(cancels.max),
    ];
  });
  const table = markdownTable(
    ["worker phase", "longest delay (ms)", "delay p99 (ms)", "longest on-CPU block (ms)", "longest gap: ran / waited for a core (ms)", "monitor samples", "cancels sent", "cancel RTT p50 (ms)", "p99", "max"],
    rows,
  );
  const plainLine = `Plain node-llama-cpp in this process, same loads: longest event-loop delay during load + context creation ${formatNumber(data.plain.loadMs)} ms (node-llama-cpp's own synchronous parts, plus this machine's scheduling); one \`resolveChatWrapper\` call blocks up to ${formatNumber(data.plain.chatWrapperMs)} ms (synchronous; a plain app pays it for every model it loads on its event loop, Rein resolves it once per model file in a worker thread).`;
  const behind: BehindNote[] = [];
  const verdicts = data.phases.map((phase) => {
    // With schedstat, a block is what the main thread ran without yielding; time it waited for a core is the machine's.
    const blockMs = phase.loop.cpu?.longestRunMs ?? phase.loop.maxMs;
    const met = blockMs !== null && blockMs <= BLOCK_TARGET_MS;
    if (!met) {
      behind.push({
        cause: "synchronous step on the worker's event loop",
        gap: `Worker event loop (${data.preset}), ${phase.label}: longest block ${formatNumber(blockMs)} ms on the CPU (target <= ${BLOCK_TARGET_MS} ms; longest delay ${formatNumber(phase.loop.maxMs)} ms); cancels sent meanwhile took up to ${formatNumber(Math.max(...phase.cancels, 0))} ms.`,
        why: "On a load: node-llama-cpp's own synchronous `loadModel` work (reading and parsing the GGUF; plain node-llama-cpp shows the same, see the plain line). Rein resolves the chat template in a worker thread (the main thread only answers its tokenizer questions), except for a template only node-llama-cpp's native Jinja renderer parses. Elsewhere a block is the machine preempting the worker, or node-llama-cpp's own synchronous sampling.",
        fix: "Not ours to fix on the load path: node-llama-cpp reads GGUF metadata synchronously in chunks (an upstream change). While streaming: fewer wake-ups and threads <= cores - 1 (see docs/hot-path.md).",
      });
    }
    return verdict(met, `${phase.label}: longest block ${formatNumber(blockMs)} ms${phase.loop.cpu ? " on the CPU" : ""} (target <= ${BLOCK_TARGET_MS} ms).`);
  });
  const intro = `\`monitorEventLoopDelay\` with a 1 ms period runs in the worker (bench-only op \`bench.hotPath\`) during each phase; "longest delay" is its largest delay: the longest time the worker's event loop could not run a timer (a cancel arriving then waits that long). A delay is either the main thread running something long or the main thread not running at all (the machine gave the core away): the main thread's Linux schedstat, read every tick, splits them. "Longest on-CPU block" is the longest the main thread *ran* between two ticks (what the verdict is about: ours or node-llama-cpp's synchronous work); the next column splits the longest delay into running and waiting for a core. Cancel round trips (a broad cancel of a model id nothing runs on) are sent every ~2 ms during each phase.`;
  return { title: `${data.preset} model`, body: blocks(intro, table, plainLine, verdicts.join("\n\n")), behind };
}
