/**
 * A SentencePiece-style ("llama" tokenizer model) vocabulary: special tokens, the 256 byte-fallback
 * tokens so that any text tokenizes, printable ASCII, and a few hundred common English pieces so
 * that ordinary text takes fewer tokens than characters.
 */

/** llama.cpp's `llama_token_type` values. */
export const TokenType = {
  normal: 1,
  unknown: 2,
  control: 3,
  byte: 6,
} as const;

export type TokenTypeValue = (typeof TokenType)[keyof typeof TokenType];

/** SentencePiece writes spaces as U+2581 so that pieces can carry a word's leading space. */
export const WORD_BOUNDARY = "\u2581";

export const UNKNOWN_TOKEN = "<unk>";
export const BEGIN_OF_SEQUENCE_TOKEN = "<s>";
export const END_OF_SEQUENCE_TOKEN = "</s>";
export const IM_START_TOKEN = "<|im_start|>";
export const IM_END_TOKEN = "<|im_end|>";

export interface Vocabulary {
  tokens: readonly string[];
  scores: readonly number[];
  types: readonly TokenTypeValue[];
  unknownId: number;
  beginOfSequenceId: number;
  endOfSequenceId: number;
  imStartId: number;
  imEndId: number;
}

// Whole words get pieces with their leading space; their prefixes are added too, because the
// SentencePiece merge only reaches a piece through pairs of smaller pieces that exist.
const COMMON_WORDS = [
  "the", "and", "of", "to", "in", "is", "it", "you", "that", "was", "for", "on", "are", "with",
  "as", "his", "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "not", "but",
  "what", "all", "were", "we", "when", "your", "can", "said", "there", "use", "an", "each", "which",
  "she", "do", "how", "their", "if", "will", "up", "other", "about", "out", "many", "then", "them",
  "these", "so", "some", "her", "would", "make", "like", "him", "into", "time", "has", "look", "two",
  "more", "write", "go", "see", "number", "no", "way", "could", "people", "my", "than", "first",
  "water", "been", "call", "who", "now", "find", "long", "down", "day", "did", "get", "come", "made",
  "may", "part", "hello", "Hello", "world", "test", "model", "token", "The", "I", "It", "This",
  "What", "How", "Hi", "story", "tell", "me", "please", "cancel", "request",
];

// Frequent pieces inside words (no leading space).
const COMMON_INNER_PIECES = [
  "ing", "ed", "er", "es", "ly", "ion", "tion", "ent", "ment", "ness", "able", "al", "an", "ar",
  "at", "en", "he", "in", "on", "or", "re", "st", "te", "th", "ll", "lo", "ou", "nd", "ve", "se",
];

function byteTokenText(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}

function printableAsciiCharacters(): string[] {
  const characters: string[] = [];
  for (let code = 0x21; code <= 0x7e; code++) characters.push(String.fromCharCode(code));
  return characters;
}

/** All prefixes of at least two characters, shortest first, so each one can merge from the previous. */
function prefixesOf(piece: string): string[] {
  const prefixes: string[] = [];
  for (let length = 2; length <= piece.length; length++) prefixes.push(piece.slice(0, length));
  return prefixes;
}

function normalPieces(): string[] {
  const pieces = new Set<string>([WORD_BOUNDARY, ...printableAsciiCharacters()]);
  for (const letter of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
    pieces.add(WORD_BOUNDARY + letter);
  }
  for (const piece of COMMON_INNER_PIECES) {
    for (const prefix of prefixesOf(piece)) pieces.add(prefix);
  }
  for (const word of COMMON_WORDS) {
    for (const prefix of prefixesOf(WORD_BOUNDARY + word)) pieces.add(prefix);
  }
  return [...pieces];
}

let cachedVocabulary: Vocabulary | undefined;

/**
 * A scripted variant's vocabulary: the shared one with the script's pieces appended (so every
 * other id stays the same), plus the prefixes of `reachable` pieces that do not exist yet.
 */
export function buildScriptVocabulary(steps: readonly string[], reachable: readonly string[]): Vocabulary & { stepIds: number[] } {
  const base = buildVocabulary();
  const tokens = [...base.tokens];
  const scores = [...base.scores];
  const types = [...base.types];
  const index = new Map(tokens.map((text, id) => [text, id]));
  const add = (text: string): number => {
    const known = index.get(text);
    if (known !== undefined) return known;
    tokens.push(text);
    scores.push(-100 / text.length);
    types.push(TokenType.normal);
    index.set(text, tokens.length - 1);
    return tokens.length - 1;
  };
  for (const piece of reachable) for (const prefix of prefixesOf(piece)) add(prefix);
  const stepIds = steps.map(add);
  return { ...base, tokens, scores, types, stepIds };
}

/** The vocabulary shared by every preset and variant (ids never depend on options). */
export function buildVocabulary(): Vocabulary {
  if (cachedVocabulary !== undefined) return cachedVocabulary;
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: TokenTypeValue[] = [];
  const add = (text: string, type: TokenTypeValue, score = 0): number => {
    tokens.push(text);
    scores.push(score);
    types.push(type);
    return tokens.length - 1;
  };

  const unknownId = add(UNKNOWN_TOKEN, TokenType.unknown);
  const beginOfSequenceId = add(BEGIN_OF_SEQUENCE_TOKEN, TokenType.control);
  const endOfSequenceId = add(END_OF_SEQUENCE_TOKEN, TokenType.control);
  for (let byte = 0; byte < 256; byte++) add(byteTokenText(byte), TokenType.byte);
  const imStartId = add(IM_START_TOKEN, TokenType.control);
  const imEndId = add(IM_END_TOKEN, TokenType.control);
  // The merge prefers the highest score; longer pieces score higher so whole words win over pairs.
  for (const piece of normalPieces()) {
    add(piece, TokenType.normal, piece.length === 1 ? -1000 : -100 / piece.length);
  }

  cachedVocabulary = {
    tokens,
    scores,
    types,
    unknownId,
    beginOfSequenceId,
    endOfSequenceId,
    imStartId,
    imEndId,
  };
  return cachedVocabulary;
}
