import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchContext } from "../bench-context.ts";
import type { SectionReport } from "../report.ts";

const namespaceScript = fileURLToPath(new URL("../../scripts/in-loopback-namespace.mjs", import.meta.url));
const measure = fileURLToPath(new URL("./p2p-measure.ts", import.meta.url));

/**
 * Rein over HyperDHT (`createClient({ peer })`) beside a WebSocket client, the local worker and in-process
 * node-llama-cpp: decode tokens/s, time to first chunk, cancel -> `completionDone`, and how long a SIGKILLed
 * peer takes to be noticed. A DHT announces local interface addresses, so the measurement runs in its own
 * process inside a loopback-only network namespace (the same script as `npm test`); this only starts it and
 * takes its report.
 *
 * @example
 * ```ts
 * const section = await p2pSection(context);
 * ```
 */
export async function p2pSection(context: BenchContext): Promise<SectionReport> {
  const { threads, repetitions, quick } = context.options;
  const settings = { threads, rounds: Math.max(4, quick ? Math.min(repetitions, 6) : repetitions), kills: quick ? 3 : 8 };
  context.progress(`measuring in a loopback-only namespace (${settings.rounds} rounds, ${settings.kills} peer kills)`);
  const child = spawn(process.execPath, [namespaceScript, process.execPath, ...process.execArgv, "--import", "tsx", measure, JSON.stringify(settings)], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the p2p measurement exited with code ${code}`);
  return JSON.parse(output.trim().split("\n").pop()!) as SectionReport;
}
