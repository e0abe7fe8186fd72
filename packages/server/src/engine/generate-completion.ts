import { ContextOverflowError, type ChatMessage, type CompletionStats } from "@rein/protocol";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { chatPromptTokens } from "./chat-prompt.ts";
import { evaluatePromptInChunks } from "./chunked-prefill.ts";
import { shiftContextWindow } from "./context-window.ts";
import { GenerationMeter } from "./generation-meter.ts";
import { loadedEngine } from "./llama-runtime.ts";
import type { LoadedModel } from "./loaded-model.ts";

export interface GenerationParameters {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stopSequences?: string[];
}

export type EngineStopReason = "eos" | "length" | "stopSequence" | "aborted";

export interface GenerationResult {
  stopReason: EngineStopReason;
  /** Exactly the text passed to `onText`, in order. */
  text: string;
  stats: CompletionStats;
}

/** Default cap on generated tokens when the caller names none, so a model that never emits EOS still ends. */
export const DEFAULT_MAX_TOKENS = 512;

/**
 * Runs one chat completion on a lent sequence: chunked prefill (cancel lands
 * within one chunk), then token generation with a per-sequence abort (cancel
 * lands within one decode step). Output after the abort is dropped, so `text`
 * is exactly what was streamed.
 */
export async function generateCompletion(options: {
  model: LoadedModel;
  sequence: LlamaContextSequence;
  history: readonly ChatMessage[];
  parameters: GenerationParameters;
  signal: AbortSignal;
  onText: (text: string) => void;
  /** Everything before generation is done (prompt tokenized, sequence state adapted): diagnostics (FirstTokenTimeline). */
  onGenerating?: () => void;
  /** The context filled up and its window moved (prompt kept, oldest generated tokens dropped). */
  onContextShift?: () => void;
}): Promise<GenerationResult> {
  const { model, sequence, signal, parameters } = options;
  const startedAt = performance.now();
  const { tokens, beginningToken } = chatPromptTokens(model.model, model.chatWrapper, options.history);
  if (tokens.length >= model.config.ctxSize) {
    throw new ContextOverflowError({ promptTokens: tokens.length, contextSize: model.config.ctxSize, modelId: model.modelId });
  }

  let text = "";
  const meter = new GenerationMeter(tokens.length, startedAt);
  const stats = (evaluatedPromptTokens: number) => meter.stats(evaluatedPromptTokens);

  const prefill = await evaluatePromptInChunks({ sequence, tokens, chunkSize: model.config.prefillChunkSize, signal });
  if (signal.aborted) return { stopReason: "aborted", text, stats: stats(prefill.evaluated) };

  const { LlamaCompletion } = loadedEngine();
  const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
  const maxTokens = parameters.maxTokens ?? DEFAULT_MAX_TOKENS;
  // LlamaCompletion re-adds the beginning token itself.
  const withoutBeginning = (state: readonly Token[]) => (beginningToken == null ? [...state] : state.slice(1));
  let input = withoutBeginning(tokens);
  options.onGenerating?.();
  try {
    for (;;) {
      const response = await completion.generateCompletionWithMeta(input, {
        signal,
        stopOnAbortSignal: true,
        maxTokens: maxTokens - meter.generatedTokens,
        // Generation stops when the context is full; Rein shifts the window itself (see context-window.ts).
        disableContextShift: true,
        contextShiftSize: 1,
        temperature: parameters.temperature ?? 0,
        topP: parameters.topP,
        topK: parameters.topK,
        seed: parameters.seed,
        customStopTriggers: parameters.stopSequences,
        onToken: (generated) => {
          if (signal.aborted) return;
          meter.count(generated.length);
        },
        onTextChunk: (chunk) => {
          // One or two callbacks can still fire after abort(); they were never streamed, so drop them.
          if (signal.aborted || chunk.length === 0) return;
          text += chunk;
          options.onText(chunk);
        },
      });
      const evaluated = tokens.length - prefill.reused;
      // Once the registry counted a cancel, the caller was told "cancelled": whatever ended generation, report that.
      switch (response.metadata.stopReason) {
        case "abort":
          return { stopReason: "aborted", text, stats: stats(evaluated) };
        case "maxTokens":
          if (signal.aborted) return { stopReason: "aborted", text, stats: stats(evaluated) };
          if (meter.generatedTokens >= maxTokens) return { stopReason: "length", text, stats: stats(evaluated) };
          // The context is full before maxTokens: make room and go on from the state the sequence holds.
          await shiftContextWindow({ sequence, promptTokens: tokens.length });
          options.onContextShift?.();
          input = withoutBeginning(sequence.contextTokens);
          continue;
        case "customStopTrigger":
          return { stopReason: signal.aborted ? "aborted" : "stopSequence", text, stats: stats(evaluated) };
        default:
          return { stopReason: signal.aborted ? "aborted" : "eos", text, stats: stats(evaluated) };
      }
    }
  } catch (error) {
    // Aborted before the first token: LlamaCompletion throws signal.reason even with stopOnAbortSignal.
    if (signal.aborted) return { stopReason: "aborted", text, stats: stats(prefill.evaluated) };
    throw error;
  } finally {
    completion.dispose({ disposeSequence: false });
  }
}
