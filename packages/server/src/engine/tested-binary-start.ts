import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Llama } from "node-llama-cpp";
import type { LlamaEngine } from "./llama-runtime.ts";

/**
 * The node-llama-cpp release whose `getLlama()` internals {@link startTestedBinary} mirrors. With any other
 * version installed the worker uses plain `getLlama()`: an internal signature may have changed.
 */
export const MIRRORED_NODE_LLAMA_CPP = "3.22.1";

/** `Llama._create`, the step of `getLlama()` after it has chosen and tested a binary (not in the typings). */
type CreateLlama = (options: Record<string, unknown>) => Promise<Llama>;

/**
 * Loads a prebuilt llama.cpp binary that a tested `getLlama()` already loaded on this machine (see
 * `llama-binary-record.ts`), the way `getLlama({ gpu: false })` does after its binary test: the same
 * `Llama._create` options with the same defaults (node-llama-cpp 3.22.1's `loadExistingLlamaBinary`, prebuilt
 * branch). Only the test's child process is skipped. Throws when the engine does not have that internal, so the
 * caller falls back to `getLlama()`.
 *
 * @example
 * ```ts
 * const llama = await startTestedBinary({ engine, bindingPath: record.bindingPath, logLevel: engine.LlamaLogLevel.error });
 * ```
 */
export async function startTestedBinary(options: { engine: LlamaEngine; bindingPath: string; logLevel: LlamaEngine["LlamaLogLevel"][keyof LlamaEngine["LlamaLogLevel"]] }): Promise<Llama> {
  const { Llama: LlamaClass } = options.engine;
  const create = (LlamaClass as unknown as { _create?: CreateLlama })._create;
  if (typeof create !== "function") throw new Error("this node-llama-cpp has no Llama._create");
  // node-llama-cpp keeps the build's metadata beside each prebuilt binary and passes it on (release, GPU type).
  const buildMetadata = JSON.parse(await readFile(path.join(path.dirname(options.bindingPath), "_nlcBuildMetadata.json"), "utf8")) as unknown;
  const bindings = createRequire(import.meta.url)(options.bindingPath) as unknown;
  return create.call(LlamaClass, {
    bindings,
    bindingPath: options.bindingPath,
    extBackendsPath: undefined,
    buildType: "prebuilt",
    buildMetadata,
    logLevel: options.logLevel,
    logger: LlamaClass.defaultConsoleLogger,
    maxThreads: undefined,
    // getLlama's defaults (defaultLlamaVramPadding, and defaultLlamaRamPadding on Linux, the only platform that tests).
    vramPadding: (totalVram: number) => Math.floor(Math.min(totalVram * 0.08, 1.6 * 1024 ** 3)),
    ramPadding: (totalRam: number) => Math.floor(Math.min(totalRam * 0.25, 1024 ** 3)),
    skipLlamaInit: false,
    debug: false,
    numa: false,
    tempDir: false,
    experimentalOptions: undefined,
  });
}
