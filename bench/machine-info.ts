import os from "node:os";
import { getModuleVersion } from "node-llama-cpp";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  availableParallelism: number;
  totalMemoryBytes: number;
  loadAverage: number[];
  platform: string;
  nodeVersion: string;
  nodeLlamaCppVersion: string;
  hostname: string;
  date: Date;
}

/**
 * What the numbers were measured on. The load average is recorded at the
 * start because a busy shared machine explains odd tails better than any
 * statistic can.
 *
 * @example
 * ```ts
 * const machine = await machineInfo();
 * console.log(machine.cpuModel, machine.cores);
 * ```
 */
export async function machineInfo(): Promise<MachineInfo> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    loadAverage: os.loadavg(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    nodeVersion: process.version,
    nodeLlamaCppVersion: await getModuleVersion(),
    hostname: os.hostname(),
    date: new Date(),
  };
}

/**
 * `YYYY-MM-DD` in local time, for result file names.
 *
 * @example
 * ```ts
 * isoDate(new Date(2026, 0, 5)); // "2026-01-05"
 * ```
 */
export function isoDate(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
