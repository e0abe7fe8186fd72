import type { RunningServer } from "@rein/cli";
import { testModelPath } from "@rein/test-model";
import type { BenchContext } from "../bench-context.ts";
import { decodeTokensPerSecond, present, type GenerationTrace } from "../harness/generation-trace.ts";
import { httpEndToEndTokensPerSecond, httpTokensPerSecond, runHttpStream } from "../harness/http-stream.ts";
import { startBenchServer } from "../harness/bench-server.ts";
import { createPlainContext, loadPlainModel, runPlainGeneration } from "../harness/plain-engine.ts";
import { fillerLengthForTokens, longHistory, shortHistory } from "../harness/prompts.ts";
import { blocks, formatNumber, formatPercent, LATENCY_HEADERS, latencyCells, markdownTable, type SectionReport } from "../report.ts";
import { interleave, median, pairedRatio, summarize } from "../stats.ts";
import { serveLoadRun } from "./serve-load.ts";

const ADMIN = { keyId: "anonymous", admin: true };
const PREFILL_TOKENS = 2000;
/** Far enough into the medium model's ~2,000-token prefill that several chunks ran (see section 2). */
const PREFILL_DISCONNECT_MS = 300;

async function metric(running: RunningServer, name: string): Promise<number> {
  return (await running.backend.clientFor(ADMIN).inspect()).metrics[name] ?? 0;
}

/**
 * Section "serve": `rein serve` over HTTP. A client that disconnects -> the
 * worker's `end` line for its request (native work stopped, slot free),
 * during decode (tiny) and during a ~2,000-token prefill (medium); queued
 * requests whose clients left (never evaluated: `completion.started` does not
 * move); streaming tokens/s through HTTP vs in-process node-llama-cpp; and a
 * bounded load run (serve-load.ts).
 *
 * @example
 * ```ts
 * const section = await serveSection(context);
 * ```
 */
export async function serveSection(context: BenchContext): Promise<SectionReport> {
  const { threads, repetitions, quick } = context.options;
  const tinyPath = await testModelPath({ preset: "tiny" });
  const parts: string[] = [];

  const { running, watch } = await startBenchServer({ threads, modelPath: tinyPath, contextSize: 2048, parallel: 1 });
  try {
    const body = (round: number, maxTokens: number) => ({ model: "bench", messages: shortHistory(round), max_tokens: maxTokens, temperature: 0.8, seed: 42 });
    context.progress(`decode: ${repetitions} disconnects`);
    const decodeStops: number[] = [];
    for (let round = 0; round < repetitions + 2; round += 1) {
      const trace = await runHttpStream({ url: running.url, body: body(round, 4096), disconnect: { kind: "afterChunks", chunks: 8 + ((round * 13) % 40) } });
      const ended = await watch.endOf(trace.requestId);
      if (round >= 2 && ended !== null && trace.disconnectedAt !== null) decodeStops.push(ended - trace.disconnectedAt);
    }
    const decode = summarize(decodeStops);

    context.progress("queued: 1 running + queued requests whose clients leave");
    const queuedCount = quick ? 8 : 20;
    const startedBefore = await metric(running, "completion.started");
    const first = runHttpStream({ url: running.url, body: body(1_000, 100_000), disconnect: { kind: "afterMs", ms: 60_000 } });
    // The others must arrive while the first one runs, or one of them could run first.
    while (!(await running.backend.clientFor(ADMIN).inspect()).requests.some((request) => request.state === "running")) await new Promise((resolve) => setTimeout(resolve, 10));
    const queued = Array.from({ length: queuedCount }, (_, index) => runHttpStream({ url: running.url, body: body(2_000 + index, 64), disconnect: { kind: "afterMs", ms: 0 } }));
    await Promise.all(queued);
    for (;;) {
      const snapshot = await running.backend.clientFor(ADMIN).inspect();
      if (snapshot.requests.filter((request) => request.state === "queued").length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await running.backend.clientFor(ADMIN).cancel({ modelId: running.backend.models.get("bench")!.modelId });
    await first;
    const evaluated = (await metric(running, "completion.started")) - startedBefore - 1;

    context.progress(`throughput: ${Math.max(4, Math.ceil(repetitions / 2))} interleaved rounds HTTP vs plain`);
    const plainModel = await loadPlainModel(tinyPath);
    const plain = await createPlainContext(plainModel, { threads, contextSize: 2048, sequences: 1 });
    let throughput;
    try {
      throughput = await interleave<{ decode: number | null; endToEnd: number | null }>({
        warmupRounds: 1,
        rounds: Math.max(4, Math.ceil(repetitions / 2)),
        variants: [
          {
            name: "http",
            run: async (round) => {
              const trace = await runHttpStream({ url: running.url, body: body(3_000 + round, 512), disconnect: { kind: "none" } });
              return { decode: httpTokensPerSecond(trace), endToEnd: httpEndToEndTokensPerSecond(trace) };
            },
          },
          {
            name: "plain",
            run: async (round) => {
              const trace: GenerationTrace = await runPlainGeneration({ model: plainModel, completion: plain.completions[0]!, history: shortHistory(3_000 + round), settings: { maxTokens: 512, temperature: 0.8, seed: 42 }, cancel: { kind: "none" } });
              return { decode: decodeTokensPerSecond(trace), endToEnd: trace.tokens > 0 ? (trace.tokens * 1000) / (trace.settledAt - trace.calledAt) : null };
            },
          },
        ],
      });
    } finally {
      await plain.dispose();
      await plainModel.dispose();
    }
    const rateRows = (label: string, pick: (value: { decode: number | null; endToEnd: number | null }) => number | null) => {
      const http = throughput.get("http")!.map(pick);
      const plainRates = throughput.get("plain")!.map(pick);
      const paired = http.flatMap((value, index) => (value !== null && plainRates[index] != null ? [[value, plainRates[index]!] as const] : []));
      return [
        [`${label}: HTTP SSE through \`rein serve\``, String(present(http).length), formatNumber(median(present(http)), 0)],
        [`${label}: plain in-process node-llama-cpp`, String(present(plainRates).length), formatNumber(median(present(plainRates)), 0)],
        [`${label}: HTTP / plain (paired per round)`, String(paired.length), formatPercent(pairedRatio(paired.map((pair) => pair[0]), paired.map((pair) => pair[1])))],
      ];
    };
    parts.push(
      markdownTable(
        ["tiny model, `--parallel 1`", "n", ...LATENCY_HEADERS],
        [["HTTP disconnect (fetch abort) -> worker `end` line (ms)", String(decode.count), ...latencyCells(decode)]],
      ),
      markdownTable(
        ["queued, client left", "value"],
        [
          ["queued requests whose clients disconnected", String(queuedCount)],
          ["of them evaluated by the model (`completion.started`)", String(evaluated)],
        ],
      ),
      markdownTable(["tokens/s (tiny, 512 tokens; the HTTP client runs in the server's own process)", "n", "median"], [
        ...rateRows("decode (first -> last text chunk)", (value) => value.decode),
        ...rateRows("end to end (request -> end of stream)", (value) => value.endToEnd),
      ]),
    );
    context.progress("load run");
    parts.push(await serveLoadRun(context, { quick }));
  } finally {
    await running.close();
  }

  parts.push(await prefillDisconnects(context));
  return { title: "9. rein serve over HTTP", body: blocks(...parts), behind: [] };
}

async function prefillDisconnects(context: BenchContext): Promise<string> {
  const { threads, repetitions } = context.options;
  const rounds = Math.max(3, Math.ceil(repetitions / 5));
  const modelPath = await testModelPath({ preset: "medium" });
  const plainModel = await loadPlainModel(modelPath);
  const fillerCharacters = fillerLengthForTokens(plainModel, PREFILL_TOKENS);
  await plainModel.dispose();
  const { running, watch } = await startBenchServer({ threads, modelPath, contextSize: 4096, parallel: 1 });
  try {
    context.progress(`prefill: ${rounds} rounds (full prefill, then a disconnect ${PREFILL_DISCONNECT_MS} ms in)`);
    const fullPrefill: number[] = [];
    const stops: number[] = [];
    const evaluatedShare: number[] = [];
    for (let round = 0; round < rounds + 1; round += 1) {
      const full = await runHttpStream({ url: running.url, body: { model: "bench", messages: longHistory(round * 2, fillerCharacters), max_tokens: 1 }, disconnect: { kind: "none" } });
      const before = await metric(running, "completion.promptTokensEvaluated");
      const cut = await runHttpStream({ url: running.url, body: { model: "bench", messages: longHistory(round * 2 + 1, fillerCharacters), max_tokens: 64 }, disconnect: { kind: "afterMs", ms: PREFILL_DISCONNECT_MS } });
      const ended = await watch.endOf(cut.requestId);
      const evaluated = (await metric(running, "completion.promptTokensEvaluated")) - before;
      if (round === 0) continue; // warm-up
      if (full.firstChunkAt !== null) fullPrefill.push(full.firstChunkAt - full.startedAt);
      if (ended !== null && cut.disconnectedAt !== null && cut.firstChunkAt === null) stops.push(ended - cut.disconnectedAt);
      evaluatedShare.push(evaluated / PREFILL_TOKENS);
    }
    const stop = summarize(stops);
    return markdownTable(
      [`medium model, ~${PREFILL_TOKENS}-token prompt`, "n", ...LATENCY_HEADERS],
      [
        ["full prefill over HTTP (request -> first token, ms)", String(fullPrefill.length), ...latencyCells(summarize(fullPrefill))],
        [`disconnect ${PREFILL_DISCONNECT_MS} ms in -> worker \`end\` line (ms)`, String(stop.count), ...latencyCells(stop)],
        ["prompt evaluated before the stop (share of ~2,000 tokens, median)", String(evaluatedShare.length), formatPercent(median(evaluatedShare)), "", "", ""],
      ],
    );
  } finally {
    await running.close();
  }
}
