/**
 * Scripted variants: the model answers every chat turn with one fixed token sequence, then
 * `<|im_end|>`, whatever the prompt, so tests can drive node-llama-cpp's real parsing paths
 * (function calls, thought segments) on a model that has no training.
 *
 * How: every script token gets its own reserved embedding dimension; the output row of step
 * i + 1 reads the dimension of step i, and the first step reads a "start" dimension carried by
 * the newline byte that ends every ChatML generation prompt (`<|im_start|>assistant\n`). As with
 * the countdown, the layers never write these dimensions, so only the last token decides.
 *
 * Script pieces are appended to the vocabulary (existing ids stay as they are). The tokenizer
 * cannot reach a piece unless all its prefixes exist, so most of them are never produced from
 * text and prompts tokenize as in the other variants; `reachable` pieces get their prefixes too.
 */

export type TestModelScript = "toolCall" | "thinking";

export const TEST_MODEL_SCRIPTS: readonly TestModelScript[] = ["toolCall", "thinking"];

export interface ScriptDefinition {
  /** The generated pieces, in order (SentencePiece text: U+2581 is a space). */
  steps: readonly string[];
  /** Pieces the tokenizer must produce from text as one token (thought markers), with their prefixes. */
  reachable: readonly string[];
  chatTemplate: "chatml" | "reasoning";
  /**
   * Existing pieces that also mark the end of a step (by step index): LlamaChat evaluates the
   * wrapper's parameters prefix (`(`) after the function name, so the parameters follow it.
   */
  alsoEndingStep?: Readonly<Record<number, readonly string[]>>;
}

/**
 * `toolCall`: a complete call in the syntax of the wrapper this model resolves to (ChatML ->
 * node-llama-cpp's default `||call: name(params)`), split where LlamaChat's grammars expect it:
 * the function name ends with a newline and the parameters with four (the grammars' own stop
 * triggers), with parameters `{"city":"Paris"}` for a tool `get_weather({ city: string })`.
 *
 * `thinking`: a thought segment, then an answer.
 */
export const SCRIPTS: Record<TestModelScript, ScriptDefinition> = {
  toolCall: {
    steps: ["||call:", "\u2581get_weather\n", '{"city":"Paris"}\n\n\n\n'],
    reachable: [],
    chatTemplate: "chatml",
    alsoEndingStep: { 1: ["("] },
  },
  thinking: {
    steps: ["<think>", "\u2581Let\u2581me\u2581think.", "</think>", "\u2581The\u2581answer\u2581is\u258142."],
    reachable: ["<think>", "</think>"],
    chatTemplate: "reasoning",
  },
};

/** The tool the `toolCall` script calls, as JSON Schema. */
export const SCRIPTED_TOOL = {
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } } },
  arguments: { city: "Paris" },
} as const;
