/**
 * Failures that have a code of their own get it, not the generic 52500:
 * an embedding text that does not fit the context, and a local model file
 * whose content is not the sha256 the caller pinned.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ChecksumMismatchError, ContextOverflowError, ErrorCode, type ReinClient } from "@rein/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestClient, tinyModel } from "../helpers/rein-test-client.ts";

describe("specific error codes", () => {
  let client: ReinClient;
  let tinyPath: string;

  beforeAll(async () => {
    client = createTestClient();
    tinyPath = await tinyModel();
  });

  afterAll(async () => {
    await client.close();
  });

  it("embedding a text longer than the context: ContextOverflowError (52421) with the token counts, for one text and in a batch", async () => {
    const modelId = await client.loadModel({ modelSrc: tinyPath, modelConfig: { ctx_size: 128 } });
    const long = "abcdefghij".repeat(40);
    const single = await client.embed({ modelId, text: long }).catch((error: unknown) => error);
    expect(ContextOverflowError.isInstance(single), String(single)).toBe(true);
    expect((single as ContextOverflowError).code).toBe(ErrorCode.ContextOverflow);
    expect((single as ContextOverflowError).contextSize).toBe(128);
    expect((single as ContextOverflowError).promptTokens).toBeGreaterThan(128);
    const batch = await client.embed({ modelId, texts: ["short", long] }).catch((error: unknown) => error);
    expect(ContextOverflowError.isInstance(batch)).toBe(true);
    expect((batch as Error).message).toMatch(/^Text 1 of the batch/);
    // The model is fine afterwards.
    expect((await client.embed({ modelId, text: "short" })).vectors).toHaveLength(1);
    await client.unloadModel({ modelId });
  });

  it("loadModel with a local path and a sha256: a wrong digest is refused with ChecksumMismatchError and nothing loads; the right one loads", async () => {
    const actual = createHash("sha256").update(await readFile(tinyPath)).digest("hex");
    const wrong = "0".repeat(64);
    const error = await client.loadModel({ modelSrc: tinyPath, sha256: wrong }).catch((caught: unknown) => caught);
    expect(ChecksumMismatchError.isInstance(error), String(error)).toBe(true);
    expect(error).toMatchObject({ expected: wrong, actual, url: tinyPath });
    expect((await client.inspect()).models).toEqual([]);
    const modelId = await client.loadModel({ modelSrc: tinyPath, sha256: actual.toUpperCase() });
    expect((await client.inspect()).models.map((model) => model.modelId)).toEqual([modelId]);
    await client.unloadModel({ modelId });
  });
});
