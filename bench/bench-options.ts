import { parseArgs } from "node:util";

export const SECTION_NAMES = ["cancel-decode", "cancel-prefill", "streaming", "control-path", "cold-start", "event-loop", "registry-scale", "soak", "tool-loop", "remote-client", "p2p", "ai-sdk", "serve", "rag"] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export type ModelPreset = "tiny" | "medium";

export interface BenchOptions {
  /** Models for the decode, streaming and control-path sections, each measured in turn (prefill always uses medium, the soak tiny). */
  presets: ModelPreset[];
  threads: number;
  /** Measured rounds of the latency sections; other sections scale from it. */
  repetitions: number;
  quick: boolean;
  /** Requests in the soak (default 1,000; quick 300). */
  soakRequests: number;
  only: SectionName[];
  /** Report file; default bench/results/<date>-<host>.md. */
  out: string | undefined;
}

export const USAGE = `Usage: npm run bench -- [options]
  --preset LIST          models for cancel-decode, streaming, control-path: tiny, medium or tiny,medium
                         (default: tiny,medium; --quick: tiny)
  --threads N            llama.cpp threads for both Rein and plain node-llama-cpp (default 1)
  --repetitions N        measured rounds per latency comparison (default 40; --quick: 12)
  --quick                fewer rounds, fewer prefill chunk sizes, shorter soak (~2 min on 2 cores)
  --soak N               requests in the soak (default 1000; --quick: 300)
  --only a,b             sections: ${SECTION_NAMES.join(", ")}
  --out FILE             report path (default bench/results/<YYYY-MM-DD>-<host>.md)
  --help`;

/**
 * Parses the bench's command line.
 *
 * @example
 * ```ts
 * parseBenchOptions(["--quick", "--only", "cancel-decode,soak"]);
 * ```
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      preset: { type: "string" },
      threads: { type: "string", default: "1" },
      repetitions: { type: "string" },
      quick: { type: "boolean", default: false },
      soak: { type: "string" },
      only: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  const quick = values.quick ?? false;
  const presets = (values.preset ?? (quick ? "tiny" : "tiny,medium")).split(",").map((name) => modelPreset(name.trim()));
  const threads = positiveInteger("--threads", values.threads ?? "1");
  const repetitions = values.repetitions === undefined ? (quick ? 12 : 40) : positiveInteger("--repetitions", values.repetitions);
  const only = values.only === undefined ? [...SECTION_NAMES] : values.only.split(",").map((name) => sectionName(name.trim()));
  const soakRequests = values.soak === undefined ? (quick ? 300 : 1_000) : positiveInteger("--soak", values.soak);
  return { presets: [...new Set(presets)], threads, repetitions, quick, soakRequests, only, out: values.out };
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer, got ${text}`);
  return value;
}

function modelPreset(name: string): ModelPreset {
  if (name === "tiny" || name === "medium") return name;
  throw new Error(`--preset takes tiny, medium or tiny,medium; got "${name}"`);
}

function sectionName(name: string): SectionName {
  if ((SECTION_NAMES as readonly string[]).includes(name)) return name as SectionName;
  throw new Error(`unknown section "${name}"; known: ${SECTION_NAMES.join(", ")}`);
}
