import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";

/**
 * The context's sequences, created once at load and lent out per completion.
 * Creating and disposing a sequence per request races its asynchronous
 * teardown ("No sequences left", node-llama-cpp #623); lending fixed sequences
 * does not, and keeps each sequence's KV cache for prefix reuse.
 */
export class SequencePool {
  readonly #free: LlamaContextSequence[];

  constructor(context: LlamaContext, size: number) {
    this.#free = Array.from({ length: size }, () => context.getSequence());
  }

  /** Takes a free sequence. Admission guarantees one exists; running out is a bug, so it throws. */
  acquire(): LlamaContextSequence {
    const sequence = this.#free.pop();
    if (!sequence) throw new Error("No free sequence: admission let more completions run than the context has sequences");
    return sequence;
  }

  release(sequence: LlamaContextSequence): void {
    if (!sequence.disposed) this.#free.push(sequence);
  }
}
