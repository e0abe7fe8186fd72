import type { LlamaContextSequence, Token } from "node-llama-cpp";

/**
 * Evaluates a prompt into the sequence in chunks and checks the signal between
 * chunks. node-llama-cpp checks its abort signal only per generated token, so
 * a cancel during a long prefill would otherwise wait for the whole prompt
 * (NOTES.md: ~1.3 s for 1,705 tokens on the 55 MB model). A chunk bounds it.
 *
 * Chunks only while more than one chunk of the prompt remains: the last
 * `chunkSize` tokens or fewer (the last token always among them, since
 * generation must evaluate at least one token to sample) go to generation in
 * one pass, which reuses this prefix. A short prompt thus costs one native
 * pass, and a cancel still lands within one chunk.
 *
 * @returns how many prompt tokens were evaluated now (reused prefix excluded)
 */
export async function evaluatePromptInChunks(options: {
  sequence: LlamaContextSequence;
  tokens: readonly Token[];
  chunkSize: number;
  signal: AbortSignal;
}): Promise<{ evaluated: number; reused: number }> {
  const { sequence, tokens, chunkSize, signal } = options;
  const prefix = tokens.slice(0, -1);
  // Keep the longest common prefix from the previous request on this sequence.
  await sequence.adaptStateToTokens(prefix, false);
  const reused = sequence.nextTokenIndex;
  if (chunkSize <= 0) return { evaluated: 0, reused };
  let position = reused;
  while (tokens.length - position > chunkSize) {
    if (signal.aborted) break;
    const chunk = prefix.slice(position, position + chunkSize);
    await sequence.evaluateWithoutGeneratingNewTokens(chunk);
    position += chunk.length;
  }
  return { evaluated: position - reused, reused };
}
