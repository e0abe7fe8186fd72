import type { LoadedModel } from "./loaded-model.ts";

// One chain per model: a model's embedding context is a single sequence, and two native embedding calls on it
// at once would interleave their tokens. The `embeddings` policy gates embed requests, but a RAG ingest embeds
// with the same context under its own kind, so the native calls take turns here as well.
const turns = new WeakMap<LoadedModel, Promise<void>>();

/**
 * Runs `body` when no other embedding call on `model` is in flight.
 *
 * @example
 * ```ts
 * const embedding = await withEmbeddingTurn(model, () => embeddingContext.getEmbeddingFor(text));
 * ```
 */
export async function withEmbeddingTurn<T>(model: LoadedModel, body: () => Promise<T>): Promise<T> {
  const previous = turns.get(model) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const turn = previous.then(() => mine);
  turns.set(model, turn);
  try {
    await previous;
    return await body();
  } finally {
    done();
    if (turns.get(model) === turn) turns.delete(model);
  }
}
