import {
  BIAS_DIMENSION,
  COUNTDOWN_LEVEL_COUNT,
  RESERVED_DIMENSION_COUNT,
  countdownLevels,
  levelDimension,
} from "./countdown-levels.ts";
import { float32ToFloat16Bits } from "./float16.ts";
import type { GgufTensor, GgufTensorType } from "./gguf-writer.ts";
import type { TestModelSpec } from "./presets.ts";
import { SeededRandom, deriveSeed } from "./seeded-random.ts";
import { TokenType, type Vocabulary } from "./vocabulary.ts";

// Scales chosen so that the layers visibly mix context into the residual stream without
// drowning the token embedding, and so that F16 never overflows.
const EMBEDDING_STANDARD_DEVIATION = 0.5;
const LAYER_GAIN = 0.8;
/** Standard deviation of the random logits: peaked enough that sampling is not uniform noise. */
const LOGIT_STANDARD_DEVIATION = 2;
const BIAS_VALUE = 1;
const SUPPRESSED_BIAS = -30;
const LEVEL_VALUE = 4;
const LEVEL_WEIGHT = 5;

export interface WeightOptions {
  seed: number;
  emitsEos: boolean;
  /** A scripted variant (see scripts.ts): the ids of its steps and of the token that starts it. */
  script?: { stepIds: readonly number[]; startTokenId: number; alsoEndingStep?: readonly (readonly [step: number, tokenId: number])[] };
}

/** The dimension that marks the start of a script, then one per step. */
const SCRIPT_START_DIMENSION = RESERVED_DIMENSION_COUNT;

function reservedDimensions(options: WeightOptions): number {
  return options.script ? RESERVED_DIMENSION_COUNT + 1 + options.script.stepIds.length : RESERVED_DIMENSION_COUNT;
}

/** A row-major matrix in ggml order: `rowCount` rows (ne1) of `rowLength` (ne0) contiguous values. */
interface Matrix {
  rowLength: number;
  rowCount: number;
  values: Float32Array;
}

function randomMatrix(rowLength: number, rowCount: number, deviation: number, seed: number): Matrix {
  const random = new SeededRandom(seed);
  const values = new Float32Array(rowLength * rowCount);
  for (let index = 0; index < values.length; index++) values[index] = random.nextGaussian() * deviation;
  return { rowLength, rowCount, values };
}

function zeroRows(matrix: Matrix, firstRow: number, rowCount: number): void {
  matrix.values.fill(0, firstRow * matrix.rowLength, (firstRow + rowCount) * matrix.rowLength);
}

function encode(values: Float32Array, type: GgufTensorType): Uint8Array {
  const bytesPerValue = type === "f32" ? 4 : 2;
  const bytes = new Uint8Array(values.length * bytesPerValue);
  const view = new DataView(bytes.buffer);
  for (let index = 0; index < values.length; index++) {
    const value = values[index] ?? 0;
    if (type === "f32") view.setFloat32(index * 4, value, true);
    else view.setUint16(index * 2, float32ToFloat16Bits(value), true);
  }
  return bytes;
}

function matrixTensor(name: string, matrix: Matrix, type: GgufTensorType): GgufTensor {
  return { name, dimensions: [matrix.rowLength, matrix.rowCount], type, data: encode(matrix.values, type) };
}

function normTensor(name: string, length: number): GgufTensor {
  return { name, dimensions: [length], type: "f32", data: encode(new Float32Array(length).fill(1), "f32") };
}

function tokenEmbedding(spec: TestModelSpec, vocabulary: Vocabulary, options: WeightOptions): Matrix {
  const width = spec.embeddingLength;
  const seed = deriveSeed(options.seed, "token_embd.weight");
  const matrix = randomMatrix(width, vocabulary.tokens.length, EMBEDDING_STANDARD_DEVIATION, seed);
  const levels = countdownLevels(vocabulary);
  for (let tokenId = 0; tokenId < matrix.rowCount; tokenId++) {
    const row = tokenId * width;
    matrix.values.fill(0, row, row + reservedDimensions(options));
    matrix.values[row + BIAS_DIMENSION] = BIAS_VALUE;
    if (options.emitsEos) {
      matrix.values[row + levelDimension(levels[tokenId] ?? COUNTDOWN_LEVEL_COUNT)] = LEVEL_VALUE;
    }
  }
  if (options.script) {
    const { stepIds, startTokenId } = options.script;
    matrix.values[startTokenId * width + SCRIPT_START_DIMENSION] = LEVEL_VALUE;
    stepIds.forEach((tokenId, step) => (matrix.values[tokenId * width + SCRIPT_START_DIMENSION + 1 + step] = LEVEL_VALUE));
    for (const [step, tokenId] of options.script.alsoEndingStep ?? []) matrix.values[tokenId * width + SCRIPT_START_DIMENSION + 1 + step] = LEVEL_VALUE;
  }
  return matrix;
}

function outputProjection(spec: TestModelSpec, vocabulary: Vocabulary, options: WeightOptions): Matrix {
  const width = spec.embeddingLength;
  const seed = deriveSeed(options.seed, "output.weight");
  const matrix = randomMatrix(width, vocabulary.tokens.length, LOGIT_STANDARD_DEVIATION / Math.sqrt(width), seed);
  const levels = countdownLevels(vocabulary);
  const endOfGenerationIds = new Set([vocabulary.imEndId, vocabulary.endOfSequenceId]);
  for (let tokenId = 0; tokenId < matrix.rowCount; tokenId++) {
    const row = tokenId * width;
    matrix.values.fill(0, row, row + reservedDimensions(options));
    if (options.script && tokenId === vocabulary.imEndId) {
      // Follows the last step of the script.
      matrix.values.fill(0, row, row + width);
      matrix.values[row + SCRIPT_START_DIMENSION + options.script.stepIds.length] = LEVEL_WEIGHT;
    } else if (options.emitsEos && endOfGenerationIds.has(tokenId)) {
      matrix.values.fill(0, row, row + width);
      // `<|im_end|>` slightly ahead, so chat-formatted runs end the way ChatML expects.
      const weight = tokenId === vocabulary.imEndId ? LEVEL_WEIGHT : LEVEL_WEIGHT * 0.9;
      matrix.values[row + levelDimension(1)] = weight;
    } else if (vocabulary.types[tokenId] !== TokenType.normal) {
      matrix.values.fill(0, row, row + width);
      matrix.values[row + BIAS_DIMENSION] = SUPPRESSED_BIAS;
    } else if (options.emitsEos) {
      const predictedAfterLevel = (levels[tokenId] ?? COUNTDOWN_LEVEL_COUNT) + 1;
      if (predictedAfterLevel <= COUNTDOWN_LEVEL_COUNT) {
        matrix.values[row + levelDimension(predictedAfterLevel)] = LEVEL_WEIGHT;
      }
    }
  }
  options.script?.stepIds.forEach((tokenId, step) => {
    // Step i follows the token that marks step i - 1 (the start token for the first step).
    matrix.values.fill(0, tokenId * width, tokenId * width + reservedDimensions(options));
    matrix.values[tokenId * width + SCRIPT_START_DIMENSION + step] = LEVEL_WEIGHT;
  });
  return matrix;
}

/** Every tensor of the model, in the order llama.cpp's own converter writes them. */
export function buildTensors(spec: TestModelSpec, vocabulary: Vocabulary, options: WeightOptions): GgufTensor[] {
  const width = spec.embeddingLength;
  const keyValueWidth = (width / spec.headCount) * spec.headCountKv;
  const feedForward = spec.feedForwardLength;
  const type = spec.weightType;
  const random = (name: string, rowLength: number, rowCount: number): Matrix =>
    randomMatrix(rowLength, rowCount, LAYER_GAIN / Math.sqrt(rowLength), deriveSeed(options.seed, name));

  const tensors: GgufTensor[] = [
    matrixTensor("token_embd.weight", tokenEmbedding(spec, vocabulary, options), type),
  ];
  for (let block = 0; block < spec.blockCount; block++) {
    const prefix = `blk.${block}`;
    const attentionOutput = random(`${prefix}.attn_output.weight`, width, width);
    const feedForwardDown = random(`${prefix}.ffn_down.weight`, feedForward, width);
    // Keeps the bias and countdown dimensions exactly as the embedding set them.
    zeroRows(attentionOutput, 0, reservedDimensions(options));
    zeroRows(feedForwardDown, 0, reservedDimensions(options));
    tensors.push(
      normTensor(`${prefix}.attn_norm.weight`, width),
      matrixTensor(`${prefix}.attn_q.weight`, random(`${prefix}.attn_q.weight`, width, width), type),
      matrixTensor(`${prefix}.attn_k.weight`, random(`${prefix}.attn_k.weight`, width, keyValueWidth), type),
      matrixTensor(`${prefix}.attn_v.weight`, random(`${prefix}.attn_v.weight`, width, keyValueWidth), type),
      matrixTensor(`${prefix}.attn_output.weight`, attentionOutput, type),
      normTensor(`${prefix}.ffn_norm.weight`, width),
      matrixTensor(`${prefix}.ffn_gate.weight`, random(`${prefix}.ffn_gate.weight`, width, feedForward), type),
      matrixTensor(`${prefix}.ffn_down.weight`, feedForwardDown, type),
      matrixTensor(`${prefix}.ffn_up.weight`, random(`${prefix}.ffn_up.weight`, width, feedForward), type),
    );
  }
  tensors.push(
    normTensor("output_norm.weight", width),
    matrixTensor("output.weight", outputProjection(spec, vocabulary, options), type),
  );
  return tensors;
}
