import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

let llamaPromise: Promise<Llama> | undefined;

/**
 * The process-wide llama.cpp binding, loaded on first use.
 * `build: "never"` makes a broken prebuilt binary fail fast with
 * `NoBinaryFoundError` instead of silently compiling llama.cpp for minutes.
 * GPU use is opt-in through `REIN_GPU=auto` so tests and CI behave the same on
 * every machine.
 */
export function getLlamaRuntime(): Promise<Llama> {
  llamaPromise ??= getLlama({
    gpu: process.env.REIN_GPU === "auto" ? "auto" : false,
    build: "never",
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
  }).catch((error: unknown) => {
    llamaPromise = undefined;
    throw error;
  });
  return llamaPromise;
}
