import { type CompletionRun, type ReinClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";
import type { BenchContext } from "../bench-context.ts";
import { resolveChatWrapper } from "node-llama-cpp";
import { createPlainContext, loadPlainModel, plainLlama } from "../harness/plain-engine.ts";
import { shortHistory } from "../harness/prompts.ts";
import { reinModelConfig, startReinClient } from "../harness/rein-engine.ts";
import { blocks, formatNumber, LATENCY_HEADERS, latencyCells, markdownTable, verdict, type BehindNote, type SectionReport } from "../report.ts";
import { interleave, median, pairedRatio, summarize, type Summary } from "../stats.ts";

const CONTEXT_SIZE = 2048;
/** A model id nothing is loaded under: a broad cancel on it is a pure round trip that changes no state. */
const NO_SUCH_MODEL = "bench-no-such-model";

/**
 * Section 4: the control path. Cancel RPC round trip (idle and while a
 * generation streams), whether `requestId` exists synchronously, and model load through Rein against plain node-llama-cpp.
 *
 * @example
 * ```ts
 * const section = await controlPathSection(context);
 * ```
 */
export async function controlPathSection(context: BenchContext): Promise<SectionReport> {
  const { presets, threads, repetitions, quick } = context.options;
  // The RPC measurements need a stream, not a particular model: the first preset serves.
  const modelPath = await testModelPath({ preset: presets[0]! });
  const rows: string[][] = [];
  const notes: string[] = [];
  const behind: BehindNote[] = [];
  const addRow = (label: string, summary: Summary, unit: "ms" | "µs" = "ms") => {
    const scaled = unit === "µs" ? scaleSummary(summary, 1000) : summary;
    rows.push([`${label} (${unit})`, String(summary.count), ...latencyCells(scaled, unit === "µs" ? 1 : 2)]);
  };

  {
    await using client = await startReinClient({ threads });
    const modelId = await client.loadModel({ modelSrc: modelPath, modelConfig: reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 1 }) });
    const samples = repetitions * 5;
    context.progress(`${samples} cancel round trips idle and during a generation`);
    await cancelRoundTrips(client, 20);
    addRow("cancel RPC round trip, idle worker", summarize(await cancelRoundTrips(client, samples)));
    addRow("cancel RPC round trip while a generation streams", summarize(await cancelRoundTripsWhileStreaming(client, modelId, samples)));

    context.progress(`${samples} synchronous requestId checks`);
    const { callMicroseconds, allSynchronous } = await requestIdAvailability(client, modelId, samples);
    addRow("`completion()` returns with `requestId` set", summarize(callMicroseconds), "µs");
    notes.push(verdict(allSynchronous, `requestId available synchronously, before any await: ${allSynchronous ? "yes" : "NO"} in ${samples}/${samples} calls.`));
    if (!allSynchronous) {
      behind.push({ gap: "`run.requestId` was not set right after `completion()` returned.", why: "The id is made after an await.", fix: "Create the id before anything asynchronous (README: Using the SDK)." });
    }
  }

  const loadRounds = quick ? 5 : 15;
  for (const preset of presets) {
    context.progress(`${preset}: ${loadRounds} interleaved model loads`);
    const loads = await modelLoadTimes(threads, await testModelPath({ preset }), loadRounds);
    addRow(`model load + context + chat wrapper, Rein \`loadModel\` (${preset})`, summarize(loads.rein));
    addRow(`model load + context + chat wrapper, plain node-llama-cpp (${preset})`, summarize(loads.plain));
    const loadRatio = pairedRatio(loads.rein, loads.plain);
    const loadGapMs = median(loads.rein) - median(loads.plain);
    // Rein resolves a file's chat template once per worker (later loads reuse it); the plain app resolves it at every load.
    notes.push(
      verdict(
        loadRatio <= 1.1,
        `Model load (${preset}) through Rein takes ${formatNumber(loadRatio)}x the plain time (paired median, ${loadGapMs >= 0 ? "+" : ""}${formatNumber(loadGapMs)} ms; target <= 1.10x). Both include the chat template: plain resolves it at every load, Rein once per model file, so from the second load of a file on Rein does not pay it.`,
      ),
    );
    if (loadRatio > 1.1) {
      behind.push({
        cause: "fixed cost per load",
        gap: `Model load (${preset}): Rein takes ${formatNumber(loadRatio)}x the plain in-process load (+${formatNumber(loadGapMs)} ms median).`,
        why: "A fixed cost per load: the RPC round trip, a GGUF magic-bytes check (open, read, close), load-progress frames and model-id hashing (both paths include resolving the chat wrapper). It is a visible share only because the test models load in milliseconds.",
        fix: "Nothing needed for real models (loads take seconds); the check could reuse node-llama-cpp's own file validation if small-model loads ever matter.",
      });
    }
  }

  const table = markdownTable(["operation", "n", ...LATENCY_HEADERS], rows);
  return { title: "4. Control path", body: blocks(table, notes.join("\n\n")), behind };
}

async function cancelRoundTrips(client: ReinClient, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const startedAt = performance.now();
    await client.cancel({ modelId: NO_SUCH_MODEL });
    samples.push(performance.now() - startedAt);
  }
  return samples;
}

/** Round trips taken only while a generation is streaming; a finished generation is replaced at once. */
async function cancelRoundTripsWhileStreaming(client: ReinClient, modelId: string, count: number): Promise<number[]> {
  const samples: number[] = [];
  let run: CompletionRun | undefined;
  let streaming = false;
  let round = 0;
  const start = async () => {
    run = client.completion({ modelId, history: shortHistory(50_000 + round++), maxTokens: 1500, temperature: 0.8, seed: 42 });
    streaming = false;
    for await (const event of run.events) {
      if (event.type === "contentDelta") streaming = true;
    }
    streaming = false;
  };
  let generation = start();
  while (samples.length < count) {
    if (!streaming) {
      await generation;
      generation = start();
      // Wait for the first token, so every sample overlaps a streaming generation.
      while (!streaming) await new Promise((resolve) => setImmediate(resolve));
    }
    const startedAt = performance.now();
    await client.cancel({ modelId: NO_SUCH_MODEL });
    const elapsed = performance.now() - startedAt;
    if (streaming) samples.push(elapsed);
  }
  await run?.cancel();
  await generation;
  return samples;
}

async function requestIdAvailability(client: ReinClient, modelId: string, count: number): Promise<{ callMicroseconds: number[]; allSynchronous: boolean }> {
  const callMicroseconds: number[] = [];
  let allSynchronous = true;
  for (let index = 0; index < count; index += 1) {
    const startedAt = performance.now();
    const run = client.completion({ modelId, history: shortHistory(index), maxTokens: 8 });
    const returnedAt = performance.now();
    if (typeof run.requestId !== "string" || run.requestId.length === 0) allSynchronous = false;
    callMicroseconds.push(returnedAt - startedAt);
    // Cancelled before it was written to the worker: the client short-circuits, nothing runs.
    await run.cancel();
    await run.final.catch(() => undefined);
  }
  return { callMicroseconds, allSynchronous };
}

async function modelLoadTimes(threads: number, modelPath: string, rounds: number): Promise<{ rein: number[]; plain: number[] }> {
  await using client = await startReinClient({ threads });
  await plainLlama();
  const modelConfig = reinModelConfig({ threads, contextSize: CONTEXT_SIZE, parallel: 1 });
  const results = await interleave<number>({
    warmupRounds: 2,
    rounds,
    variants: [
      {
        name: "rein",
        run: async () => {
          const startedAt = performance.now();
          const modelId = await client.loadModel({ modelSrc: modelPath, modelConfig });
          const elapsed = performance.now() - startedAt;
          // The last reference: the worker frees the model, so the next load is a real one.
          await client.unloadModel({ modelId });
          return elapsed;
        },
      },
      {
        name: "plain",
        run: async () => {
          const startedAt = performance.now();
          const model = await loadPlainModel(modelPath);
          const context = await createPlainContext(model, { threads, contextSize: CONTEXT_SIZE, sequences: 1 });
          // Rein resolves the chat wrapper at load; a plain app pays it before its first chat completion.
          resolveChatWrapper(model);
          const elapsed = performance.now() - startedAt;
          await context.dispose();
          await model.dispose();
          return elapsed;
        },
      },
    ],
  });
  return { rein: results.get("rein")!, plain: results.get("plain")! };
}

function scaleSummary(summary: Summary, factor: number): Summary {
  return {
    count: summary.count,
    min: summary.min * factor,
    p50: summary.p50 * factor,
    p95: summary.p95 * factor,
    p99: summary.p99 * factor,
    max: summary.max * factor,
    mean: summary.mean * factor,
  };
}
