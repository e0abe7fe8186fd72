import { ensureTestModel } from "./ensure-test-model.ts";
import type { TestModelPreset } from "./presets.ts";
import type { TestModelScript } from "./scripts.ts";

/**
 * Path of the model examples run on: `REIN_MODEL` when set (a real GGUF),
 * else Rein's generated tiny test model (created on first use, nothing is downloaded).
 *
 * @example
 * ```ts
 * import { exampleModelPath } from "@rein/test-model";
 * const modelId = await client.loadModel({ modelSrc: await exampleModelPath() });
 * ```
 */
export async function exampleModelPath(options: { preset?: TestModelPreset; emitsEos?: boolean } = {}): Promise<string> {
  if (process.env.REIN_MODEL) return process.env.REIN_MODEL;
  return ensureTestModel({ preset: options.preset ?? "tiny", emitsEos: options.emitsEos ?? false });
}

/** Path of a generated test model (never `REIN_MODEL`): deterministic weights, llama architecture. */
export function testModelPath(options: { preset?: TestModelPreset; emitsEos?: boolean; script?: TestModelScript } = {}): Promise<string> {
  return ensureTestModel({ preset: options.preset ?? "tiny", emitsEos: options.emitsEos ?? false, script: options.script });
}
