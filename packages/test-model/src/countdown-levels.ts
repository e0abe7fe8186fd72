/**
 * How the `emitsEos` variant is made to stop. Random weights alone either loop forever at
 * temperature 0 or stop by chance, so the variant carries a hand-built "countdown":
 *
 * - every token has a level in 1..COUNTDOWN_LEVEL_COUNT, written as a large value on the
 *   embedding dimension of that level;
 * - the output row of every normal token of level L reads dimension L + 1, so after a token of
 *   level L + 1 only tokens of level L are likely (the random weights choose among them);
 * - the end-of-generation tokens read dimension 1, so they follow any token of level 1.
 *
 * The layers never write to these dimensions (their output rows there are zero), so the signal
 * survives to the output unchanged and generation ends within COUNTDOWN_LEVEL_COUNT tokens at any
 * sensible temperature, whatever the prompt.
 *
 * Dimension 0 is a constant on every embedding, which the output rows use as a bias: it pushes the
 * control and byte tokens far down in every variant, so the default model practically never emits
 * an end-of-generation token and only ever writes printable text.
 */
import { hashString } from "./seeded-random.ts";
import { TokenType, WORD_BOUNDARY, type Vocabulary } from "./vocabulary.ts";

export const COUNTDOWN_LEVEL_COUNT = 32;

/** Dimension holding a constant, used by the output rows as a bias. */
export const BIAS_DIMENSION = 0;

/** Dimensions 0..COUNTDOWN_LEVEL_COUNT carry the hand-built signals; the rest are random. */
export const RESERVED_DIMENSION_COUNT = 1 + COUNTDOWN_LEVEL_COUNT;

// The lowest levels, the last steps before the end, go to rare pieces (a space then a capital
// letter), so that a prompt ending in common text still gets a reasonably long answer.
const LOW_LEVEL_COUNT = 3;

/** The embedding dimension that marks `level`. */
export function levelDimension(level: number): number {
  return level;
}

function isLowLevelPiece(text: string): boolean {
  return text.length === 2 && text.startsWith(WORD_BOUNDARY) && /[A-Z]/.test(text.charAt(1));
}

/** The countdown level of every token id (seed independent, so docs can rely on it). */
export function countdownLevels(vocabulary: Vocabulary): number[] {
  return vocabulary.tokens.map((text, tokenId) => {
    const hash = hashString(text);
    if (vocabulary.types[tokenId] === TokenType.normal && isLowLevelPiece(text)) {
      return 1 + (hash % LOW_LEVEL_COUNT);
    }
    return LOW_LEVEL_COUNT + 1 + (hash % (COUNTDOWN_LEVEL_COUNT - LOW_LEVEL_COUNT));
  });
}
