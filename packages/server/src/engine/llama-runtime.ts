import { createRequire } from "node:module";
import type { Llama } from "node-llama-cpp";

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
  enginePromise ??= import("node-llama-cpp").then(
    (loaded) => (engine = loaded),
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

/**
 * The process-wide llama.cpp binding, loaded on first use.
 * `build: "never"` makes a broken prebuilt binary fail fast with
 * `NoBinaryFoundError` instead of silently compiling llama.cpp for minutes.
 * GPU use is opt-in through `REIN_GPU=auto` so tests and CI behave the same on
 * every machine.
 */
export function getLlamaRuntime(): Promise<Llama> {
  llamaPromise ??= loadEngine()
    .then(({ getLlama, LlamaLogLevel }) =>
      getLlama({
        gpu: process.env.REIN_GPU === "auto" ? "auto" : false,
        build: "never",
        logLevel: LlamaLogLevel.error,
        progressLogs: false,
      }),
    )
    .catch((error: unknown) => {
      llamaPromise = undefined;
      throw error;
    });
  return llamaPromise;
}

/**
 * Starts loading the engine and the llama.cpp binding in the background, so the first `loadModel`
 * does not pay for them. A failure here is not reported: the first real use fails with it instead.
 */
export function warmUpEngine(): void {
  getLlamaRuntime().catch(() => undefined);
}

/** node-llama-cpp's version, read from its package.json: the handshake reports it without importing the engine. */
export function engineVersion(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("node-llama-cpp");
  const manifestPath = entry.slice(0, entry.lastIndexOf("node-llama-cpp") + "node-llama-cpp".length) + "/package.json";
  return (require(manifestPath) as { version: string }).version;
}
