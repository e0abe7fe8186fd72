export { defaultTestModelCacheDir, ensureTestModel } from "./ensure-test-model.ts";
export type { EnsureTestModelOptions } from "./ensure-test-model.ts";
export { TEST_MODEL_PRESETS, testModelSpec } from "./presets.ts";
export type { TestModelPreset, TestModelSpec } from "./presets.ts";
export { DEFAULT_TEST_MODEL_SEED, TEST_MODEL_GENERATOR_VERSION } from "./test-model-options.ts";
export type { TestModelOptions } from "./test-model-options.ts";
export { writeTestModel } from "./write-test-model.ts";
export type { WrittenTestModel } from "./write-test-model.ts";
export { exampleModelPath, testModelPath } from "./model-paths.ts";
