import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { encodeGguf, testModelPath, type GgufValue } from "@rein/test-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COOPERATIVE_GGUF_READER_FOR, installCooperativeGgufReader, isGgufReaderCooperative, makeGgufReaderCooperative, READS_PER_TURN } from "./cooperative-gguf-reader.ts";
import { engineVersion, loadEngine, type LlamaEngine } from "./llama-runtime.ts";

// This file's process owns its node-llama-cpp (vitest's forks pool): changing the reader's prototype stays here.
const require = createRequire(import.meta.url);
const readerModuleUrl = pathToFileURL(path.join(path.dirname(require.resolve("node-llama-cpp")), "gguf", "fileReaders", "GgufFsFileReader.js")).href;

type ReaderPrototype = { ensureHasByteRange: (offset: unknown, length: number) => Promise<void> | undefined };
type Settled = { ok: true; value: unknown } | { ok: false; message: string };

/** Long enough that node-llama-cpp parses it in one synchronous block of thousands of reads (two per string). */
const VOCABULARY_SIZE = 40_000;

let engine: LlamaEngine;
let readerPrototype: ReaderPrototype;
let directory: string;
let testModels: string[];
let largeVocabularyFile: string;
let truncatedFile: string;
/** Each file's `readGgufFileInfo` result with node-llama-cpp's own reader, read before the reader is changed. */
const original = new Map<string, Settled>();
/** How many buffered reads the parse of the large file made between two turns of the event loop, at most. */
let originalLongestRun = 0;
let originalReads = 0;

function settle(promise: Promise<unknown>): Promise<Settled> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, message: String(error) }),
  );
}

/**
 * Counts buffered reads, and the longest run of them that happened without a turn of the event loop between;
 * `onRead` sees the running total.
 */
async function parseCountingTurns(file: string, options: { signal?: AbortSignal; onRead?: (reads: number) => void } = {}): Promise<{ result: Settled; longestRun: number; turns: number; reads: number }> {
  const ensure = readerPrototype.ensureHasByteRange;
  let run = 0;
  let longestRun = 0;
  let turns = 0;
  let reads = 0;
  readerPrototype.ensureHasByteRange = function (this: unknown, offset: unknown, length: number) {
    run += 1;
    reads += 1;
    longestRun = Math.max(longestRun, run);
    options.onRead?.(reads);
    return ensure.call(this, offset, length);
  };
  let parsing = true;
  const tick = () => {
    if (!parsing) return;
    turns += 1;
    run = 0;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    const result = await settle(engine.readGgufFileInfo(file, { signal: options.signal }));
    return { result, longestRun, turns, reads };
  } finally {
    parsing = false;
    readerPrototype.ensureHasByteRange = ensure;
  }
}

function metadataFile(tokens: readonly string[]): Uint8Array[] {
  const metadata = new Map<string, GgufValue>([
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: "cooperative-reader-test" }],
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    ["tokenizer.ggml.tokens", { type: "array", itemType: "string", values: tokens }],
    ["tokenizer.ggml.token_type", { type: "array", itemType: "int32", values: tokens.map(() => 1) }],
  ]);
  return encodeGguf({ metadata, tensors: [], alignment: 32 });
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "rein-gguf-reader-"));
  const tokens = Array.from({ length: VOCABULARY_SIZE }, (_, index) => `token-${index.toString(36)}-ä`);
  largeVocabularyFile = path.join(directory, "large-vocabulary.gguf");
  await writeFile(largeVocabularyFile, Buffer.concat(metadataFile(tokens)));
  // Cut in the middle of the vocabulary: node-llama-cpp then reads zeros past the end of the file.
  truncatedFile = path.join(directory, "truncated.gguf");
  const whole = Buffer.concat(metadataFile(tokens.slice(0, 2_000)));
  await writeFile(truncatedFile, whole.subarray(0, Math.floor(whole.length / 2)));

  engine = await import("node-llama-cpp");
  readerPrototype = ((await import(readerModuleUrl)) as { GgufFsFileReader: { prototype: ReaderPrototype } }).GgufFsFileReader.prototype;
  testModels = [await testModelPath({ preset: "tiny" }), await testModelPath({ preset: "medium" })];
  for (const file of [...testModels, truncatedFile]) original.set(file, await settle(engine.readGgufFileInfo(file)));
  const counted = await parseCountingTurns(largeVocabularyFile);
  original.set(largeVocabularyFile, counted.result);
  originalLongestRun = counted.longestRun;
  originalReads = counted.reads;
  // What the worker does: its engine loader changes the reader before any model is read.
  expect(isGgufReaderCooperative(readerPrototype)).toBe(false);
  await loadEngine();
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("the cooperative GGUF reader", () => {
  it("reads every test model, a large vocabulary and a truncated file exactly as node-llama-cpp's own reader does", async () => {
    for (const file of [...testModels, largeVocabularyFile, truncatedFile]) {
      const before = original.get(file);
      expect(before, file).toBeDefined();
      expect(await settle(engine.readGgufFileInfo(file)), file).toEqual(before);
    }
    const large = original.get(largeVocabularyFile);
    expect(large?.ok && (large.value as { metadata: { tokenizer: { ggml: { tokens: string[] } } } }).metadata.tokenizer.ggml.tokens.length).toBe(VOCABULARY_SIZE);
  });

  it("lets the event loop turn every few reads while it parses, where node-llama-cpp's reader parses in one block", async () => {
    const { result, longestRun, turns } = await parseCountingTurns(largeVocabularyFile);
    expect(result.ok).toBe(true);
    // Two strings' reads per token: node-llama-cpp's own reader ran tens of thousands of them in one block.
    expect(originalLongestRun).toBeGreaterThan(VOCABULARY_SIZE);
    // A turn comes after every READS_PER_TURN buffered reads (the counter is shared, so a run may start mid-count).
    expect(longestRun).toBeLessThanOrEqual(2 * READS_PER_TURN);
    expect(turns).toBeGreaterThan((2 * VOCABULARY_SIZE) / (2 * READS_PER_TURN));
  });

  it("stops a parse whose signal aborts at its next turn, with the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new Error("load cancelled");
    // Well inside the vocabulary: the file is read, the parse runs on buffered bytes.
    const abortAt = 10 * READS_PER_TURN;
    const { result, reads } = await parseCountingTurns(largeVocabularyFile, {
      signal: controller.signal,
      onRead: (count) => count === abortAt && controller.abort(reason),
    });
    expect(result).toEqual({ ok: false, message: String(reason) });
    expect(reads).toBeGreaterThanOrEqual(abortAt);
    expect(reads).toBeLessThanOrEqual(abortAt + READS_PER_TURN);
    expect(originalReads).toBeGreaterThan(abortAt + READS_PER_TURN);
  });

  it("changes a reader only once and refuses anything that is not node-llama-cpp's file reader", async () => {
    const ensure = readerPrototype.ensureHasByteRange;
    expect(makeGgufReaderCooperative(readerPrototype)).toBe(true);
    expect(readerPrototype.ensureHasByteRange).toBe(ensure);
    expect(makeGgufReaderCooperative({ ensureHasByteRange: () => undefined })).toBe(false);
    expect(makeGgufReaderCooperative(null)).toBe(false);
    expect(await installCooperativeGgufReader("3.0.0")).toBe(false);
  });

  it("is installed by the worker's engine loader for the node-llama-cpp release it was written for", () => {
    expect(engineVersion()).toBe(COOPERATIVE_GGUF_READER_FOR);
    expect(isGgufReaderCooperative(readerPrototype)).toBe(true);
  });
});
