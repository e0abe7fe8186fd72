import { readFileSync, statSync } from "node:fs";
import { readFile, rename, stat, unlink, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * Everything a prebuilt llama.cpp binary's compatibility depends on. node-llama-cpp tests a prebuilt binary in a
 * child process before every load on Linux (`testBindingBinary`: a second Node process that imports most of
 * node-llama-cpp, ~0.6-1 s of CPU). The outcome can only change when one of these does.
 */
export interface LlamaBinaryKey {
  node: string;
  nodeAbi: string;
  nodeLlamaCpp: string;
  platform: string;
  arch: string;
  kernel: string;
  /** `/etc/os-release`: the distribution (its C library) the binary was tested against. */
  osRelease: string;
  cpu: string;
}

/** The binary a tested `getLlama()` loaded on this machine, under {@link LlamaBinaryKey}. */
export interface LlamaBinaryRecord {
  format: typeof RECORD_FORMAT;
  key: LlamaBinaryKey;
  bindingPath: string;
  binarySize: number;
  binaryMtimeMs: number;
}

const RECORD_FORMAT = 1;
const RECORD_FILE = path.join("engine", "llama-binary.json");

/**
 * The key of this process on this machine.
 *
 * @example
 * ```ts
 * const key = currentBinaryKey("3.22.1");
 * ```
 */
export function currentBinaryKey(nodeLlamaCppVersion: string): LlamaBinaryKey {
  return {
    node: process.versions.node,
    nodeAbi: process.versions.modules,
    nodeLlamaCpp: nodeLlamaCppVersion,
    platform: process.platform,
    arch: process.arch,
    kernel: os.release(),
    osRelease: readOsRelease(),
    cpu: os.cpus()[0]?.model ?? "unknown",
  };
}

/**
 * Reads the record in `cacheDir` and returns it only when it was made under `key` and the binary on disk is
 * still the one it names (same size and modification time); anything else (no file, another format, a changed
 * key, a replaced binary) is `undefined`, and the caller runs node-llama-cpp's own tested path.
 *
 * @example
 * ```ts
 * const record = await readBinaryRecord({ cacheDir, key });
 * ```
 */
export async function readBinaryRecord(options: { cacheDir: string; key: LlamaBinaryKey }): Promise<LlamaBinaryRecord | undefined> {
  let record: Partial<LlamaBinaryRecord>;
  try {
    record = JSON.parse(await readFile(path.join(options.cacheDir, RECORD_FILE), "utf8")) as Partial<LlamaBinaryRecord>;
  } catch {
    return undefined;
  }
  if (record.format !== RECORD_FORMAT || typeof record.bindingPath !== "string" || !sameKey(record.key, options.key)) return undefined;
  try {
    const binary = await stat(record.bindingPath);
    if (binary.size !== record.binarySize || binary.mtimeMs !== record.binaryMtimeMs) return undefined;
  } catch {
    return undefined;
  }
  return record as LlamaBinaryRecord;
}

/**
 * Removes the record before the binary it names is loaded without a test: if that load takes the process down,
 * the next worker finds no record and lets node-llama-cpp test the binary again. A successful load writes it back.
 *
 * @example
 * ```ts
 * await claimBinaryRecord(cacheDir);
 * ```
 */
export async function claimBinaryRecord(cacheDir: string): Promise<void> {
  await unlink(path.join(cacheDir, RECORD_FILE)).catch(() => undefined);
}

/**
 * Writes the record atomically (a temporary file renamed over the old one), so a concurrent reader sees the old
 * record, the new one, or none, never half of one. A failure (read-only cache) only costs the next start the test.
 *
 * @example
 * ```ts
 * await writeBinaryRecord({ cacheDir, key, bindingPath });
 * ```
 */
export async function writeBinaryRecord(options: { cacheDir: string; key: LlamaBinaryKey; bindingPath: string }): Promise<boolean> {
  const file = path.join(options.cacheDir, RECORD_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    const binary = await stat(options.bindingPath);
    const record: LlamaBinaryRecord = { format: RECORD_FORMAT, key: options.key, bindingPath: options.bindingPath, binarySize: binary.size, binaryMtimeMs: binary.mtimeMs };
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
    await rename(temporary, file);
    return true;
  } catch {
    await unlink(temporary).catch(() => undefined);
    return false;
  }
}

/**
 * The llama.cpp addon this process has loaded, read from `/proc/self/maps` (node-llama-cpp does not say which
 * file its `getLlama()` picked). `undefined` when none or more than one is mapped, or off Linux.
 *
 * @example
 * ```ts
 * const bindingPath = loadedBindingPath(); // ".../@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node"
 * ```
 */
export function loadedBindingPath(maps: string = readProcessMaps()): string | undefined {
  const addons = new Set<string>();
  for (const line of maps.split("\n")) {
    const file = line.slice(line.indexOf("/"));
    if (line.includes("/") && path.basename(file) === "llama-addon.node") addons.add(file);
  }
  return addons.size === 1 ? [...addons][0] : undefined;
}

function readProcessMaps(): string {
  try {
    return readFileSync("/proc/self/maps", "utf8");
  } catch {
    return "";
  }
}

function readOsRelease(): string {
  try {
    return readFileSync("/etc/os-release", "utf8").trim();
  } catch {
    return "";
  }
}

function sameKey(stored: unknown, current: LlamaBinaryKey): boolean {
  if (typeof stored !== "object" || stored === null) return false;
  const entries = Object.entries(current);
  return Object.keys(stored).length === entries.length && entries.every(([name, value]) => (stored as Record<string, unknown>)[name] === value);
}

/** Whether `file` exists and is a regular file (the build metadata node-llama-cpp keeps beside a prebuilt binary). */
export function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
