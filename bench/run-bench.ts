/**
 * Rein's benchmark: `npm run bench -- [--quick] [--preset tiny,medium] ...`.
 * Prints a markdown report on stdout (progress on stderr) and writes it to
 * bench/results/<YYYY-MM-DD>-<host>.md. See bench/README.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseBenchOptions, USAGE, type BenchOptions, type SectionName } from "./bench-options.ts";
import { stderrProgress, type BenchContext } from "./bench-context.ts";
import { loadAverage } from "./harness/diagnostics.ts";
import { isoDate, machineInfo, type MachineInfo } from "./machine-info.ts";
import { formatMebibytes, markdownTable, type BehindNote, type SectionReport } from "./report.ts";
import { aiSdkSection } from "./sections/ai-sdk.ts";
import { cancelDecodeSection } from "./sections/cancel-decode.ts";
import { cancelPrefillSection } from "./sections/cancel-prefill.ts";
import { coldStartSection } from "./sections/cold-start.ts";
import { eventLoopSection } from "./sections/event-loop.ts";
import { controlPathSection } from "./sections/control-path.ts";
import { registryScaleSection } from "./sections/registry-scale.ts";
import { p2pSection } from "./sections/p2p.ts";
import { remoteClientSection } from "./sections/remote-client.ts";
import { serveSection } from "./sections/serve.ts";
import { soakSection } from "./sections/soak.ts";
import { streamingSection } from "./sections/streaming.ts";
import { toolLoopSection } from "./sections/tool-loop.ts";
import { ragSection } from "./sections/rag.ts";

const SECTIONS: Record<SectionName, (context: BenchContext) => Promise<SectionReport>> = {
  "cancel-decode": cancelDecodeSection,
  "cancel-prefill": cancelPrefillSection,
  streaming: streamingSection,
  "control-path": controlPathSection,
  "cold-start": coldStartSection,
  "event-loop": eventLoopSection,
  "registry-scale": registryScaleSection,
  soak: soakSection,
  "tool-loop": toolLoopSection,
  "remote-client": remoteClientSection,
  p2p: p2pSection,
  "ai-sdk": aiSdkSection,
  serve: serveSection,
  rag: ragSection,
};

interface SectionOutcome {
  report: SectionReport;
  seconds: number;
  loadAtStart: string;
  failed: boolean;
}

async function main(): Promise<number> {
  let parsed: BenchOptions | "help";
  try {
    parsed = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = parsed;
  const machine = await machineInfo();
  const startedAt = performance.now();
  const outcomes: SectionOutcome[] = [];
  for (const name of options.only) {
    const loadAtStart = loadAverage();
    const sectionStartedAt = performance.now();
    const progress = stderrProgress(name);
    progress(`start (load average ${loadAtStart})`);
    try {
      const report = await SECTIONS[name]({ options, progress });
      outcomes.push({ report, seconds: (performance.now() - sectionStartedAt) / 1000, loadAtStart, failed: false });
    } catch (error) {
      // One broken section must not cost the others' numbers; the report and the exit code say it failed.
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      progress(`FAILED: ${message}`);
      const report: SectionReport = { title: `${name} (failed)`, body: `Section failed:\n\n\`\`\`\n${message}\n\`\`\``, behind: [] };
      outcomes.push({ report, seconds: (performance.now() - sectionStartedAt) / 1000, loadAtStart, failed: true });
    }
  }
  const markdown = renderReport(options, machine, outcomes, (performance.now() - startedAt) / 1000);
  const outFile = options.out ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "results", `${isoDate(machine.date)}-${safeHostname(machine.hostname)}.md`);
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(outFile, markdown);
  process.stdout.write(`${markdown}\n`);
  process.stderr.write(`[bench] report written to ${path.relative(process.cwd(), outFile)}\n`);
  return outcomes.some((outcome) => outcome.failed) ? 1 : 0;
}

function renderReport(options: BenchOptions, machine: MachineInfo, outcomes: SectionOutcome[], totalSeconds: number): string {
  const flags = [
    options.quick ? "--quick" : "",
    `--preset ${options.presets.join(",")}`,
    `--threads ${options.threads}`,
    `--repetitions ${options.repetitions}`,
    options.soakRequests === (options.quick ? 300 : 1_000) ? "" : `--soak ${options.soakRequests}`,
    options.only.length === Object.keys(SECTIONS).length ? "" : `--only ${options.only.join(",")}`,
  ].filter(Boolean);
  const machineTable = markdownTable(
    ["machine", ""],
    [
      ["CPU", machine.cpuModel],
      ["cores (os.cpus / availableParallelism)", `${machine.cores} / ${machine.availableParallelism}`],
      ["memory", formatMebibytes(machine.totalMemoryBytes)],
      ["OS", machine.platform],
      ["Node.js", machine.nodeVersion],
      ["node-llama-cpp", machine.nodeLlamaCppVersion],
      ["date", machine.date.toISOString()],
      ["host", machine.hostname],
      ["threads / preset / repetitions", `${options.threads} / ${options.presets.join(", ")} / ${options.repetitions}${options.quick ? " (quick)" : ""}`],
      ["load average at start (1 / 5 / 15 min)", machine.loadAverage.map((value) => value.toFixed(2)).join(" / ")],
      ["total time", `${totalSeconds.toFixed(0)} s`],
    ],
  );
  const parts = [
    `# Rein benchmark — ${isoDate(machine.date)} on ${machine.hostname}`,
    machineTable,
    `**Reproduce:** \`npm run bench -- ${flags.join(" ")}\` (CPU only; the models are Rein's generated test GGUFs: \`tiny\` 1.9 MB, \`medium\` 52 MB; nothing is downloaded).`,
    "**Method:** Rein (client -> RPC -> worker -> node-llama-cpp) against plain in-process node-llama-cpp in the same run, on identical prompt tokens, seed and sampling settings. Warm-up rounds first; then A/B runs interleaved with the order rotated each round, so a slow phase of a shared machine hits both; medians and paired per-round ratios rather than means; p50/p95/p99/max for latencies (with n < 100, p99 lies between the two largest samples). Each run gets a fresh prompt so no KV cache is reused across runs.",
  ];
  for (const outcome of outcomes) {
    parts.push(`## ${outcome.report.title}`, `_${outcome.seconds.toFixed(0)} s; load average at start ${outcome.loadAtStart}._`, outcome.report.body);
  }
  parts.push("## Closing note: where Rein is behind, why, and what would close it", closingNote(outcomes));
  return `${parts.join("\n\n")}\n`;
}

function closingNote(outcomes: SectionOutcome[]): string {
  const notes = outcomes.flatMap((outcome) => outcome.report.behind);
  const failed = outcomes.filter((outcome) => outcome.failed).map((outcome) => outcome.report.title);
  const lines: string[] = [];
  if (failed.length > 0) lines.push(`Failed sections: ${failed.join(", ")} (see above).`);
  if (notes.length === 0) {
    lines.push("Rein met every target in this run and was not measurably behind plain node-llama-cpp.");
  }
  // One entry per cause: a single fix often closes gaps seen in several sections.
  const groups = new Map<string, BehindNote[]>();
  for (const note of notes) {
    const key = note.cause ?? note.gap;
    groups.set(key, [...(groups.get(key) ?? []), note]);
  }
  [...groups.values()].forEach((group, index) => {
    const gaps = group.length === 1 ? `**${group[0]!.gap}**` : `Behind in ${group.length} places:\n${group.map((note) => `   - ${note.gap}`).join("\n")}`;
    lines.push(`${index + 1}. ${gaps}\n   - Why: ${group[0]!.why}\n   - What would close it: ${group[0]!.fix}`);
  });
  return lines.join("\n");
}

function safeHostname(hostname: string): string {
  return hostname.replace(/[^\w.-]+/g, "-") || "host";
}

process.exitCode = await main();
// A llama.cpp binding or a worker handle left open must not keep a finished bench alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
