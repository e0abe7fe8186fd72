import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { encodeGguf } from "./gguf-writer.ts";
import { testModelSpec } from "./presets.ts";
import { buildTestModelFile } from "./test-model-file.ts";
import { resolveTestModelOptions, type TestModelOptions } from "./test-model-options.ts";
import { SCRIPTS } from "./scripts.ts";
import type { ResolvedTestModelOptions } from "./test-model-options.ts";
import { buildScriptVocabulary, buildVocabulary } from "./vocabulary.ts";

function scriptedModelFile(options: ResolvedTestModelOptions) {
  const script = SCRIPTS[options.script!];
  const vocabulary = buildScriptVocabulary(script.steps, script.reachable);
  // Every ChatML generation prompt ends with the newline byte after `assistant`.
  const startTokenId = vocabulary.tokens.indexOf("<0x0A>");
  const spec = { ...testModelSpec(options.preset), vocabularySize: vocabulary.tokens.length };
  return buildTestModelFile(spec, vocabulary, {
    seed: options.seed,
    emitsEos: false,
    script: {
      stepIds: vocabulary.stepIds,
      startTokenId,
      alsoEndingStep: Object.entries(script.alsoEndingStep ?? {}).flatMap(([step, pieces]) => pieces.map((piece) => [Number(step), vocabulary.tokens.indexOf(piece)] as const)),
      chatTemplate: script.chatTemplate, name: `script-${options.script}` },
  });
}

export interface WrittenTestModel {
  /** Absolute path of the written file. */
  path: string;
  bytes: number;
  /** Lowercase hex SHA-256 of the file. */
  sha256: string;
}

/**
 * Generates a test model and writes it to `filePath`. The file appears complete or not at all:
 * it is written under a unique temporary name in the same directory, then renamed over the target.
 * The same options always produce the same bytes.
 *
 * @example
 * const { path, bytes, sha256 } = await writeTestModel("/tmp/model.gguf", { preset: "tiny", emitsEos: true });
 */
export async function writeTestModel(filePath: string, options: TestModelOptions = {}): Promise<WrittenTestModel> {
  const resolved = resolveTestModelOptions(options);
  const targetPath = path.resolve(filePath);
  const gguf = resolved.script ? scriptedModelFile(resolved) : buildTestModelFile(testModelSpec(resolved.preset), buildVocabulary(), { seed: resolved.seed, emitsEos: resolved.emitsEos });
  const chunks = encodeGguf(gguf);

  await mkdir(path.dirname(targetPath), { recursive: true });
  const temporaryPath = `${targetPath}.${process.pid}.${randomUUID()}.tmp`;
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    const handle = await open(temporaryPath, "wx");
    try {
      for (const chunk of chunks) {
        // A single write may be partial; the position argument keeps the loop simple.
        for (let written = 0; written < chunk.byteLength; ) {
          const result = await handle.write(chunk, written, chunk.byteLength - written, bytes + written);
          written += result.bytesWritten;
        }
        hash.update(chunk);
        bytes += chunk.byteLength;
      }
    } finally {
      await handle.close();
    }
    await rename(temporaryPath, targetPath);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
  return { path: targetPath, bytes, sha256: hash.digest("hex") };
}
