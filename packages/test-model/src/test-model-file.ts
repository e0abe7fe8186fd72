import type { GgufFile, GgufValue } from "./gguf-writer.ts";
import type { TestModelSpec } from "./presets.ts";
import type { Vocabulary } from "./vocabulary.ts";
import { buildTensors } from "./weights.ts";

const ALIGNMENT = 32;

/** llama.cpp's `llama_ftype`: what the bulk of the weights are stored as. */
const FileType = { f32: 0, f16: 1 } as const;

// The standard ChatML template; node-llama-cpp recognises it and picks its ChatML wrapper.
const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * ChatML-like (role headers end with a colon, so it is not plain ChatML) with Qwen3-style
 * reasoning: an assistant message's `reasoning_content` is rendered inside `<think>` ...
 * `</think>`. node-llama-cpp resolves it to its Jinja template wrapper, which finds the thought
 * segment markers in it.
 */
const REASONING_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'assistant' %}{{'<|im_start|>assistant:\\n'}}" +
  "{% if message['reasoning_content'] %}{{'<think>' + message['reasoning_content'] + '</think>'}}{% endif %}" +
  "{{message['content'] + '<|im_end|>' + '\\n'}}{% else %}{{'<|im_start|>' + message['role'] + ':\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endif %}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant:\\n' }}{% endif %}";

export interface TestModelFileOptions {
  seed: number;
  emitsEos: boolean;
  script?: { stepIds: readonly number[]; startTokenId: number; alsoEndingStep?: readonly (readonly [number, number])[]; chatTemplate: "chatml" | "reasoning"; name: string };
}

const uint32 = (value: number): GgufValue => ({ type: "uint32", value });
const float32 = (value: number): GgufValue => ({ type: "float32", value });
const bool = (value: boolean): GgufValue => ({ type: "bool", value });
const string = (value: string): GgufValue => ({ type: "string", value });

function buildMetadata(spec: TestModelSpec, vocabulary: Vocabulary, options: TestModelFileOptions): Map<string, GgufValue> {
  const name = `rein-test-model-${spec.preset}${options.emitsEos ? "-eos" : ""}${options.script ? `-${options.script.name}` : ""}`;
  return new Map<string, GgufValue>([
    ["general.architecture", string("llama")],
    ["general.name", string(name)],
    ["general.alignment", uint32(ALIGNMENT)],
    ["general.file_type", uint32(FileType[spec.weightType])],
    ["llama.vocab_size", uint32(vocabulary.tokens.length)],
    ["llama.context_length", uint32(spec.contextLength)],
    ["llama.embedding_length", uint32(spec.embeddingLength)],
    ["llama.block_count", uint32(spec.blockCount)],
    ["llama.feed_forward_length", uint32(spec.feedForwardLength)],
    ["llama.attention.head_count", uint32(spec.headCount)],
    ["llama.attention.head_count_kv", uint32(spec.headCountKv)],
    ["llama.rope.dimension_count", uint32(spec.ropeDimensionCount)],
    ["llama.rope.freq_base", float32(spec.ropeFreqBase)],
    ["llama.attention.layer_norm_rms_epsilon", float32(spec.rmsNormEpsilon)],
    ["tokenizer.ggml.model", string("llama")],
    ["tokenizer.ggml.tokens", { type: "array", itemType: "string", values: vocabulary.tokens }],
    ["tokenizer.ggml.scores", { type: "array", itemType: "float32", values: vocabulary.scores }],
    ["tokenizer.ggml.token_type", { type: "array", itemType: "int32", values: vocabulary.types }],
    ["tokenizer.ggml.bos_token_id", uint32(vocabulary.beginOfSequenceId)],
    ["tokenizer.ggml.eos_token_id", uint32(vocabulary.endOfSequenceId)],
    ["tokenizer.ggml.eot_token_id", uint32(vocabulary.imEndId)],
    ["tokenizer.ggml.unknown_token_id", uint32(vocabulary.unknownId)],
    ["tokenizer.ggml.add_bos_token", bool(true)],
    ["tokenizer.ggml.add_eos_token", bool(false)],
    ["tokenizer.ggml.add_space_prefix", bool(true)],
    ["tokenizer.chat_template", string(options.script?.chatTemplate === "reasoning" ? REASONING_TEMPLATE : CHATML_TEMPLATE)],
  ]);
}

/** The complete in-memory GGUF description of one test model. */
export function buildTestModelFile(spec: TestModelSpec, vocabulary: Vocabulary, options: TestModelFileOptions): GgufFile {
  return {
    metadata: buildMetadata(spec, vocabulary, options),
    tensors: buildTensors(spec, vocabulary, options),
    alignment: ALIGNMENT,
  };
}
