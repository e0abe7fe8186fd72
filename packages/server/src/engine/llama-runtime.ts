import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Llama } from "node-llama-cpp";
import { defaultCacheDir } from "../download/default-cache-dir.ts";
import { importModule } from "../startup/import-module.ts";
import { installCooperativeGgufReader } from "./cooperative-gguf-reader.ts";
import { claimBinaryRecord, currentBinaryKey, isFile, loadedBindingPath, readBinaryRecord, writeBinaryRecord } from "./llama-binary-record.ts";
import { MIRRORED_NODE_LLAMA_CPP, startTestedBinary } from "./tested-binary-start.ts";

/** node-llama-cpp's module namespace, as `import("node-llama-cpp")` gives it. */
export type LlamaEngine = typeof import("node-llama-cpp");

let enginePromise: Promise<LlamaEngine> | undefined;
let engine: LlamaEngine | undefined;
let llamaPromise: Promise<Llama> | undefined;

/**
 * Imports node-llama-cpp on first use. Importing it costs hundreds of milliseconds (its module graph and
 * native binding), so the worker answers its handshake first and warms the engine meanwhile
 * ({@link warmUpEngine}): nothing on the worker's start path imports node-llama-cpp statically.
 */
export function loadEngine(): Promise<LlamaEngine> {
  enginePromise ??= importModule<LlamaEngine>("node-llama-cpp").then(
    async (loaded) => {
      // Before any model is read: node-llama-cpp's GGUF reader would otherwise block the event loop on every load.
      await installCooperativeGgufReader(engineVersion());
      return (engine = loaded);
    },
    (error: unknown) => {
      enginePromise = undefined;
      throw error;
    },
  );
  return enginePromise;
}

/**
 * The engine module for code that only runs once a model exists (and so after {@link loadEngine}
 * resolved): completions and chat-template resolution use it synchronously.
 */
export function loadedEngine(): LlamaEngine {
  if (engine === undefined) throw new Error("node-llama-cpp is used before it was loaded (loadEngine)");
  return engine;
}

/** How the process-wide binding was started: node-llama-cpp's tested `getLlama()`, or a binary it tested before. */
export type EngineStart = "tested" | "recorded";

export interface LlamaRuntimeOptions {
  /** Where the record of the last tested binary lives (the worker's cache dir); default: the per-user cache dir. */
  cacheDir?: string;
  /** Called once the binding is up, with how it started. */
  onStarted?: (how: EngineStart) => void;
}

/**
 * The process-wide llama.cpp binding, loaded on first use (the first caller's options apply).
 * `build: "never"` makes a broken prebuilt binary fail fast with
 * `NoBinaryFoundError` instead of silently compiling llama.cpp for minutes.
 * GPU use is opt-in through `REIN_GPU=auto` so tests and CI behave the same on
 * every machine.
 *
 * On Linux, `getLlama()` tests a prebuilt binary in a child process before every load (~0.6-1 s of CPU, most of
 * a cold start). On the CPU path the worker records the binary a tested start loaded (per user, keyed by the
 * Node, node-llama-cpp, OS and CPU versions and the binary's size and mtime) and later loads that same binary
 * without the test; anything that does not match, a GPU request, or `REIN_LLAMA_BINARY_TEST=always` goes through
 * `getLlama()` again.
 */
export function getLlamaRuntime(options: LlamaRuntimeOptions = {}): Promise<Llama> {
  llamaPromise ??= loadEngine()
    .then((loaded) => startLlama(loaded, options))
    .catch((error: unknown) => {
      llamaPromise = undefined;
      throw error;
    });
  return llamaPromise;
}

async function startLlama(loaded: LlamaEngine, options: LlamaRuntimeOptions): Promise<Llama> {
  const gpu = process.env.REIN_GPU === "auto" ? "auto" : false;
  const logLevel = loaded.LlamaLogLevel.error;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  // Only where getLlama() would test a prebuilt CPU binary, only for the release whose internals we mirror, not
  // while node-llama-cpp's debug mode (which changes what getLlama() passes on) is asked for, and not when the
  // operator wants the test on every start (REIN_LLAMA_BINARY_TEST=always).
  const recordable =
    gpu === false &&
    process.platform === "linux" &&
    engineVersion() === MIRRORED_NODE_LLAMA_CPP &&
    !process.env.NODE_LLAMA_CPP_DEBUG &&
    process.env.REIN_LLAMA_BINARY_TEST !== "always";
  const key = recordable ? currentBinaryKey(MIRRORED_NODE_LLAMA_CPP) : undefined;
  const record = key ? await readBinaryRecord({ cacheDir, key }) : undefined;
  if (record) {
    await claimBinaryRecord(cacheDir);
    try {
      const llama = await startTestedBinary({ engine: loaded, bindingPath: record.bindingPath, logLevel });
      await writeBinaryRecord({ cacheDir, key: record.key, bindingPath: record.bindingPath });
      options.onStarted?.("recorded");
      return llama;
    } catch {
      // Fall through to the tested path, which decides (and reports) for itself.
    }
  }
  const llama = await loaded.getLlama({ gpu, build: "never", logLevel, progressLogs: false });
  const bindingPath = key && llama.gpu === false && llama.buildType === "prebuilt" ? loadedBindingPath() : undefined;
  if (key && bindingPath && isFile(path.join(path.dirname(bindingPath), "_nlcBuildMetadata.json"))) await writeBinaryRecord({ cacheDir, key, bindingPath });
  options.onStarted?.("tested");
  return llama;
}

/**
 * Starts loading the engine and the llama.cpp binding in the background, so the first `loadModel`
 * does not pay for them. A failure here is not reported: the first real use fails with it instead.
 * Resolves (never rejects) when the attempt is over.
 */
export function warmUpEngine(options: LlamaRuntimeOptions = {}): Promise<void> {
  return getLlamaRuntime(options).then(
    () => undefined,
    () => undefined,
  );
}

let knownEngineVersion: string | undefined;

/**
 * node-llama-cpp's version, read from its package.json: the handshake reports it without importing the engine.
 * The manifest is looked for in the `node_modules` directories above this file, the places Node's resolver tries
 * for a bare name (on a real path, so pnpm's layout works too): the resolver's own first use (`require.resolve`,
 * with its package.json and `exports` handling) was ~9 ms of every worker's handshake on a 2-core machine.
 * `require.resolve` stays as the fallback for a layout that walk does not find (NODE_PATH, a custom loader).
 */
export function engineVersion(): string {
  knownEngineVersion ??= versionBeside(path.dirname(fileURLToPath(import.meta.url))) ?? resolvedVersion();
  return knownEngineVersion;
}

function versionBeside(start: string): string | undefined {
  for (let directory = start; ; directory = path.dirname(directory)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(directory, "node_modules", "node-llama-cpp", "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (manifest.name === "node-llama-cpp" && typeof manifest.version === "string") return manifest.version;
    } catch {
      // Not here: one level up.
    }
    if (path.dirname(directory) === directory) return undefined;
  }
}

function resolvedVersion(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("node-llama-cpp");
  const manifestPath = entry.slice(0, entry.lastIndexOf("node-llama-cpp") + "node-llama-cpp".length) + "/package.json";
  return (require(manifestPath) as { version: string }).version;
}
