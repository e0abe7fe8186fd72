/**
 * Before/after on the hot path in one process: this checkout's built SDK + worker against another built
 * checkout's (the baseline), interleaved round by round with plain node-llama-cpp, so a busy phase of a
 * shared machine hits all three. Cancel during decode (tiny), streaming tokens/s and time to first token
 * (tiny, parallel 1) and model loads (medium).
 *
 * ```sh
 * git archive <base-commit> | tar -x -C /tmp/base   # + node_modules (with @rein/* pointing into it), npm run build there
 * npm run build
 * node --import tsx bench/ab-baseline.ts /tmp/base [rounds] [streaming]   # "streaming": only that comparison
 * ```
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createClient, type ReinClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";
import { resolveChatWrapper } from "node-llama-cpp";
import { loadAverage } from "./harness/diagnostics.ts";
import { cancelLatencyMs, decodeTokensPerSecond, present, timeToFirstChunkMs, type GenerationTrace } from "./harness/generation-trace.ts";
import { createPlainContext, loadPlainModel, plainLlama, runPlainGeneration } from "./harness/plain-engine.ts";
import { shortHistory } from "./harness/prompts.ts";
import { reinModelConfig, runReinGeneration } from "./harness/rein-engine.ts";
import { formatNumber, formatPercent, markdownTable } from "./report.ts";
import { interleave, median, pairedRatio, summarize } from "./stats.ts";

/** Ends the run after the streaming comparison (the "streaming" argument). */
class StreamingOnly extends Error {}

const baselineDirectory = process.argv[2];
if (baselineDirectory === undefined) throw new Error("usage: node --import tsx bench/ab-baseline.ts <baseline checkout> [rounds]");
const rounds = Number(process.argv[3] ?? 40);
const streamingOnly = process.argv[4] === "streaming";
const threads = 1;
const baselineSdk = (await import(pathToFileURL(path.resolve(baselineDirectory, "packages/sdk/dist/index.js")).href)) as { createClient: typeof createClient };

const clients: Record<"after" | "before", ReinClient> = {
  after: createClient({ threads, workerStdio: "ignore" }),
  before: baselineSdk.createClient({ threads, workerStdio: "ignore" }),
};
const lines: string[] = [`Before/after, one process, interleaved; load average at start ${loadAverage()}; ${rounds} rounds per comparison.`];
try {
  await Promise.all(Object.values(clients).map((client) => client.ready()));
  const tiny = await testModelPath({ preset: "tiny" });
  const config = reinModelConfig({ threads, contextSize: 2048, parallel: 1 });
  const ids = { after: await clients.after.loadModel({ modelSrc: tiny, modelConfig: config }), before: await clients.before.loadModel({ modelSrc: tiny, modelConfig: config }) };
  const plainModel = await loadPlainModel(tiny);
  const plain = await createPlainContext(plainModel, { threads, contextSize: 2048, sequences: 1 });

  const settings = { maxTokens: 1024, temperature: 0.8, seed: 42 };
  const cancelAfter = (round: number) => ({ kind: "afterChunks", chunks: 8 + ((round * 13) % 40) }) as const;
  const reinVariant = (which: "after" | "before", cancel: (round: number) => Parameters<typeof runReinGeneration>[0]["cancel"], offset: number, maxTokens: number) => ({
    name: which,
    run: (round: number) => runReinGeneration({ client: clients[which], modelId: ids[which], history: shortHistory(offset + round), settings: { ...settings, maxTokens }, cancel: cancel(round) }),
  });
  const plainVariant = (cancel: (round: number) => Parameters<typeof runPlainGeneration>[0]["cancel"], offset: number, maxTokens: number) => ({
    name: "plain",
    run: (round: number) => runPlainGeneration({ model: plainModel, completion: plain.completions[0]!, history: shortHistory(offset + round), settings: { ...settings, maxTokens }, cancel: cancel(round) }),
  });

  if (!streamingOnly) {
  process.stderr.write(`[ab] ${rounds} cancel rounds (load ${loadAverage()})\n`);
  const cancels = await interleave<GenerationTrace>({
    warmupRounds: 3,
    rounds,
    variants: [reinVariant("after", cancelAfter, 0, 1024), reinVariant("before", cancelAfter, 0, 1024), plainVariant(cancelAfter, 0, 1024)],
  });
  const latency = (name: string) => present(cancels.get(name)!.map(cancelLatencyMs));
  const cancelRows = ["after", "before", "plain"].map((name) => {
    const summary = summarize(latency(name));
    return [name, String(summary.count), formatNumber(summary.p50), formatNumber(summary.p95), formatNumber(summary.p99), formatNumber(summary.max)];
  });
  lines.push("Cancel during decode, tiny: `cancel()` -> `completionDone` (plain: `abort()` -> settled), ms:", markdownTable(["path", "n", "p50", "p95", "p99", "max"], cancelRows));
  const pairedDelta = median(latency("after").map((value, index) => value - (latency("before")[index] ?? Number.NaN)).filter(Number.isFinite));
  lines.push(`Paired median after - before: ${formatNumber(pairedDelta)} ms.`);
  }

  process.stderr.write(`[ab] ${Math.ceil(rounds / 2)} streaming rounds (load ${loadAverage()})\n`);
  const none = () => ({ kind: "none" }) as const;
  const streams = await interleave<GenerationTrace>({
    warmupRounds: 2,
    rounds: Math.ceil(rounds / 2),
    variants: [reinVariant("after", none, 1000, 512), reinVariant("before", none, 1000, 512), plainVariant(none, 1000, 512)],
  });
  const rate = (name: string) => streams.get(name)!.map((trace) => decodeTokensPerSecond(trace) ?? Number.NaN);
  const first = (name: string) => streams.get(name)!.map((trace) => timeToFirstChunkMs(trace) ?? Number.NaN);
  const streamRows = ["after", "before", "plain"].map((name) => [
    name,
    formatNumber(median(rate(name)), 0),
    name === "plain" ? "100%" : formatPercent(pairedRatio(rate(name), rate("plain"))),
    formatNumber(median(first(name))),
    name === "plain" ? "0" : formatNumber(median(first(name).map((value, index) => value - (first("plain")[index] ?? Number.NaN)).filter(Number.isFinite))),
  ]);
  lines.push(
    "Streaming, tiny, parallel 1, 512 tokens:",
    markdownTable(["path", "tokens/s (median)", "vs plain (paired median)", "TTFT p50 (ms)", "TTFT vs plain (paired median, ms)"], streamRows),
    `Paired tokens/s after / before: ${formatPercent(pairedRatio(rate("after"), rate("before")))}.`,
  );
  await plain.dispose();
  await plainModel.dispose();

  if (streamingOnly) throw new StreamingOnly();
  const medium = await testModelPath({ preset: "medium" });
  const loadRounds = Math.max(5, Math.ceil(rounds / 4));
  process.stderr.write(`[ab] ${loadRounds} medium load rounds (load ${loadAverage()})\n`);
  await plainLlama();
  const timedReinLoad = (which: "after" | "before") => async () => {
    const startedAt = performance.now();
    const modelId = await clients[which].loadModel({ modelSrc: medium, modelConfig: config });
    const elapsed = performance.now() - startedAt;
    await clients[which].unloadModel({ modelId });
    return elapsed;
  };
  const loads = await interleave<number>({
    warmupRounds: 1,
    rounds: loadRounds,
    variants: [
      { name: "after", run: timedReinLoad("after") },
      { name: "before", run: timedReinLoad("before") },
      {
        name: "plain",
        run: async () => {
          const startedAt = performance.now();
          const model = await loadPlainModel(medium);
          const context = await createPlainContext(model, { threads, contextSize: 2048, sequences: 1 });
          resolveChatWrapper(model);
          const elapsed = performance.now() - startedAt;
          await context.dispose();
          await model.dispose();
          return elapsed;
        },
      },
    ],
  });
  const loadRows = ["after", "before", "plain"].map((name) => [name, String(loads.get(name)!.length), formatNumber(median(loads.get(name)!)), name === "plain" ? "1.00x" : `${formatNumber(pairedRatio(loads.get(name)!, loads.get("plain")!))}x`]);
  lines.push(
    "`loadModel` medium (load + context + chat wrapper; Rein's later loads of a file reuse its wrapper, plain resolves it every time):",
    markdownTable(["path", "n", "median (ms)", "vs plain (paired median)"], loadRows),
    `Load average at the end ${loadAverage()}.`,
  );
} catch (error) {
  if (!(error instanceof StreamingOnly)) throw error;
} finally {
  await Promise.all(Object.values(clients).map((client) => client.close()));
}
process.stdout.write(`${lines.join("\n\n")}\n`);
