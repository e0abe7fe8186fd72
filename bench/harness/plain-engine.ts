import type { ChatMessage } from "@rein/protocol";
import {
  getLlama,
  LlamaCompletion,
  LlamaLogLevel,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from "node-llama-cpp";
import { plainPromptTokens } from "./plain-prompt.ts";
import { newTrace, type CancelPlan, type GenerationSettings, type GenerationTrace } from "./generation-trace.ts";

let llamaPromise: Promise<Llama> | undefined;

/**
 * The baseline's llama.cpp binding in this process, set up as Rein's worker
 * sets up its own (CPU, prebuilt binary only, errors-only logging).
 *
 * @example
 * ```ts
 * const llama = await plainLlama();
 * ```
 */
export function plainLlama(): Promise<Llama> {
  llamaPromise ??= getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
  return llamaPromise;
}

export interface PlainContextOptions {
  threads: number;
  contextSize: number;
  sequences: number;
  /** Rein's default batch size, so both paths evaluate the prompt in the same batches. */
  batchSize?: number;
}

/** A context of a plain model with its sequences, each with a LlamaCompletion of its own. */
export interface PlainContext {
  context: LlamaContext;
  sequences: LlamaContextSequence[];
  completions: LlamaCompletion[];
  dispose(): Promise<void>;
}

/**
 * Loads a model with plain node-llama-cpp, no Rein in between.
 *
 * @example
 * ```ts
 * const model = await loadPlainModel(modelPath);
 * const context = await createPlainContext(model, { threads: 1, contextSize: 2048, sequences: 1 });
 * ```
 */
export async function loadPlainModel(modelPath: string): Promise<LlamaModel> {
  const llama = await plainLlama();
  return llama.loadModel({ modelPath, gpuLayers: 0 });
}

/**
 * A context with the same shape as the one Rein creates for `modelConfig` (ctx_size, parallel, threads, batch_size).
 *
 * @example
 * ```ts
 * const plain = await createPlainContext(model, { threads: 1, contextSize: 2048, sequences: 2 });
 * ```
 */
export async function createPlainContext(model: LlamaModel, options: PlainContextOptions): Promise<PlainContext> {
  const context = await model.createContext({
    contextSize: options.contextSize,
    sequences: options.sequences,
    threads: options.threads,
    batchSize: options.batchSize ?? 512,
  });
  const sequences = Array.from({ length: options.sequences }, () => context.getSequence());
  const completions = sequences.map((sequence) => new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false }));
  return {
    context,
    sequences,
    completions,
    async dispose() {
      for (const completion of completions) completion.dispose({ disposeSequence: false });
      await context.dispose();
    },
  };
}

/**
 * One generation with plain node-llama-cpp on the very tokens Rein evaluates
 * for `history` (the model's chat wrapper, resolved once per model; BOS
 * prepended by LlamaCompletion itself). Cancel is `AbortController.abort()` with `stopOnAbortSignal: true`;
 * the trace ends when the generateCompletion promise settles.
 *
 * @example
 * ```ts
 * const trace = await runPlainGeneration({ model, completion, history, settings, cancel: { kind: "afterChunks", chunks: 32 } });
 * ```
 */
export async function runPlainGeneration(options: {
  model: LlamaModel;
  completion: LlamaCompletion;
  history: readonly ChatMessage[];
  settings: GenerationSettings;
  cancel: CancelPlan;
  /** Called after each text chunk is recorded and before a planned cancel, e.g. to start a second request mid-stream. */
  onChunk?: (chunks: number) => void;
}): Promise<GenerationTrace> {
  const { model, completion, settings, cancel } = options;
  // Formatting is inside the measured window on both paths: Rein formats in its worker too.
  const trace = newTrace(performance.now());
  const { tokens, beginningToken } = plainPromptTokens(model, options.history);
  const input = beginningToken == null ? tokens : tokens.slice(1);
  const controller = new AbortController();
  const abort = () => {
    if (trace.cancelAt !== null) return;
    trace.cancelAt = performance.now();
    controller.abort();
  };
  const timer = cancel.kind === "afterMs" ? setTimeout(abort, cancel.ms) : undefined;
  try {
    const response = await completion.generateCompletionWithMeta(input, {
      signal: controller.signal,
      stopOnAbortSignal: true,
      maxTokens: settings.maxTokens,
      temperature: settings.temperature,
      seed: settings.seed,
      onToken: (generated) => {
        trace.tokens += generated.length;
      },
      onTextChunk: (chunk) => {
        const now = performance.now();
        if (chunk.length === 0) return;
        if (trace.lastChunkAt !== null) trace.maxChunkGapMs = Math.max(trace.maxChunkGapMs, now - trace.lastChunkAt);
        trace.firstChunkAt ??= now;
        trace.lastChunkAt = now;
        trace.chunks += 1;
        trace.text += chunk;
        if (trace.cancelAt !== null) trace.chunksAfterCancel += 1;
        options.onChunk?.(trace.chunks);
        if (cancel.kind === "afterChunks" && trace.chunks === cancel.chunks) abort();
      },
    });
    trace.settledAt = performance.now();
    trace.stopReason = response.metadata.stopReason;
  } catch (error) {
    trace.settledAt = performance.now();
    // Aborted before the first token: LlamaCompletion throws the signal's reason even with stopOnAbortSignal.
    if (!controller.signal.aborted) throw error;
    trace.stopReason = "abort";
  } finally {
    clearTimeout(timer);
  }
  return trace;
}
