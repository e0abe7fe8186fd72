import { TEST_MODEL_PRESETS, type TestModelPreset } from "./presets.ts";
import { TEST_MODEL_SCRIPTS, type TestModelScript } from "./scripts.ts";

/**
 * Bumped whenever the bytes produced for the same options change, so cached files made by an
 * older generator are never reused.
 */
export const TEST_MODEL_GENERATOR_VERSION = 1;

export const DEFAULT_TEST_MODEL_SEED = 42;

export interface TestModelOptions {
  /** Size of the model; defaults to `"tiny"`. */
  preset?: TestModelPreset;
  /**
   * `false` (default): the model practically never emits an end-of-generation token, so runs last
   * until `maxTokens` or cancellation. `true`: every generation ends with `<|im_end|>` (or `</s>`)
   * within `testModelSpec(preset).eosWithinTokens` tokens.
   */
  emitsEos?: boolean;
  /** Seed of the random weights, an integer in 0..2^32-1; defaults to a fixed value. */
  seed?: number;
  /**
   * A scripted variant that answers every chat turn with the same tokens, then `<|im_end|>`:
   * `"toolCall"` a complete function call in its chat wrapper's syntax, `"thinking"` a
   * `<think>` segment and an answer (see SCRIPTS). Not combined with `emitsEos`.
   */
  script?: TestModelScript;
}

export type ResolvedTestModelOptions = Required<Omit<TestModelOptions, "script">> & { script: TestModelScript | undefined };

export function resolveTestModelOptions(options: TestModelOptions = {}): ResolvedTestModelOptions {
  const preset = options.preset ?? "tiny";
  if (!TEST_MODEL_PRESETS.includes(preset)) {
    throw new RangeError(`Unknown test model preset: ${String(preset)}`);
  }
  const seed = options.seed ?? DEFAULT_TEST_MODEL_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`Test model seed must be an integer in 0..4294967295, got ${seed}`);
  }
  if (options.script !== undefined && !TEST_MODEL_SCRIPTS.includes(options.script)) {
    throw new RangeError(`Unknown test model script: ${String(options.script)}`);
  }
  if (options.script !== undefined && options.emitsEos) throw new RangeError("A scripted test model ends on its own: leave emitsEos out");
  return { preset, emitsEos: options.emitsEos ?? false, seed, script: options.script };
}

/** Every option and the generator version appear in the name, so any change gets its own file. */
export function testModelFileName(options: ResolvedTestModelOptions): string {
  const eos = options.emitsEos ? "eos" : "noeos";
  const variant = options.script ? `script-${options.script}` : eos;
  return `rein-test-model-${options.preset}-${variant}-seed${options.seed}-v${TEST_MODEL_GENERATOR_VERSION}.gguf`;
}
