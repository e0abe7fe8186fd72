import { COUNTDOWN_LEVEL_COUNT } from "./countdown-levels.ts";
import { buildVocabulary } from "./vocabulary.ts";

/** `tiny` (~1.7 MB, F32) for unit tests; `medium` (~51 MB, F16) for realistic timings. */
export type TestModelPreset = "tiny" | "medium";

/** Hyperparameters of a preset, as written into the GGUF metadata. */
export interface TestModelSpec {
  preset: TestModelPreset;
  /** Storage type of the matrices; norm weights are always F32, as llama.cpp expects. */
  weightType: "f32" | "f16";
  vocabularySize: number;
  contextLength: number;
  embeddingLength: number;
  blockCount: number;
  feedForwardLength: number;
  headCount: number;
  headCountKv: number;
  /** Equals the head size: every dimension of a head is rotated. */
  ropeDimensionCount: number;
  ropeFreqBase: number;
  rmsNormEpsilon: number;
  parameterCount: number;
  /** The `emitsEos` variant ends every generation with an end-of-generation token within this many tokens. */
  eosWithinTokens: number;
}

interface PresetShape {
  weightType: "f32" | "f16";
  embeddingLength: number;
  blockCount: number;
  feedForwardLength: number;
  headCount: number;
  headCountKv: number;
}

// Head counts below the query count (grouped-query attention) exercise the KV path real models use.
const presetShapes: Record<TestModelPreset, PresetShape> = {
  tiny: {
    weightType: "f32",
    embeddingLength: 128,
    blockCount: 2,
    feedForwardLength: 256,
    headCount: 4,
    headCountKv: 2,
  },
  medium: {
    weightType: "f16",
    embeddingLength: 512,
    blockCount: 8,
    feedForwardLength: 1536,
    headCount: 8,
    headCountKv: 4,
  },
};

export const TEST_MODEL_PRESETS: readonly TestModelPreset[] = ["tiny", "medium"];

/**
 * The hyperparameters of a preset, for documentation, benchmarks and size assertions.
 *
 * @example
 * const spec = testModelSpec("medium");
 * console.log(`${spec.blockCount} layers, ${spec.embeddingLength} wide, ${spec.weightType}`);
 */
export function testModelSpec(preset: TestModelPreset): TestModelSpec {
  const shape = presetShapes[preset];
  if (shape === undefined) {
    throw new RangeError(`Unknown test model preset: ${String(preset)}`);
  }
  const vocabularySize = buildVocabulary().tokens.length;
  const headSize = shape.embeddingLength / shape.headCount;
  const keyValueWidth = headSize * shape.headCountKv;
  const embedding = shape.embeddingLength;
  const perBlock =
    2 * embedding + // attention and feed-forward norms
    2 * embedding * embedding + // query and output projections
    2 * embedding * keyValueWidth + // key and value projections
    3 * embedding * shape.feedForwardLength;
  return {
    preset,
    ...shape,
    vocabularySize,
    contextLength: 4096,
    ropeDimensionCount: headSize,
    ropeFreqBase: 10000,
    rmsNormEpsilon: 1e-5,
    parameterCount: shape.blockCount * perBlock + embedding + 2 * embedding * vocabularySize,
    eosWithinTokens: COUNTDOWN_LEVEL_COUNT,
  };
}
