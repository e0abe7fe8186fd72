import { describe, expect, it } from "vitest";
import { embed, generateText } from "ai";
import { createRein } from "@rein/ai-sdk-provider";
import { InvalidInputError } from "@rein/sdk";
import { createTestClient, tinyModel } from "../helpers/rein-test-client.ts";

(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

describe("createRein: lazy loading, one Rein model per source + config, close()", () => {
  it("nothing starts before the first call; the same source and config share one model across language and embedding models", async () => {
    const rein = createRein({ threads: 1 });
    const tiny = await tinyModel();
    const first = rein(tiny);
    const second = rein.languageModel(tiny);
    expect(rein.client.workerPid).toBeUndefined();
    await Promise.all([generateText({ model: first, prompt: "a", maxOutputTokens: 2 }), generateText({ model: second, prompt: "b", maxOutputTokens: 2 })]);
    await embed({ model: rein.embedding(tiny), value: "c" });
    let snapshot = await rein.client.inspect();
    expect(snapshot.models).toEqual([expect.objectContaining({ modelSrc: tiny, references: 1 })]);
    // Same config with its keys in another order: still the same model; another config: a second one.
    await generateText({ model: rein(tiny, { modelConfig: { ctx_size: 1024, parallel: 2 } }), prompt: "d", maxOutputTokens: 2 });
    await generateText({ model: rein(tiny, { modelConfig: { parallel: 2, ctx_size: 1024 } }), prompt: "e", maxOutputTokens: 2 });
    snapshot = await rein.client.inspect();
    expect(snapshot.models).toHaveLength(2);
    expect(snapshot.models.every((model) => model.references === 1)).toBe(true);
    const pid = rein.client.workerPid;
    expect(pid).toBeTypeOf("number");
    await rein.close();
    // The provider made the client, so close() stopped its worker; later calls reject, typed and unretried.
    expect(rein.client.workerPid).toBeUndefined();
    const error = await generateText({ model: first, prompt: "after close", maxOutputTokens: 2 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "AI_APICallError", isRetryable: false, data: { code: 50201 } });
  });

  it("with the app's own client: close() releases only the provider's reference; the app's model and client stay", async () => {
    await using client = createTestClient();
    const tiny = await tinyModel();
    const modelId = await client.loadModel({ modelSrc: tiny });
    const rein = createRein({ client });
    await generateText({ model: rein(tiny), prompt: "a", maxOutputTokens: 2 });
    expect((await client.inspect()).models).toEqual([expect.objectContaining({ modelId, references: 2 })]);
    await rein.close();
    expect((await client.inspect()).models).toEqual([expect.objectContaining({ modelId, references: 1 })]);
    const run = client.completion({ modelId, history: [{ role: "user", content: "still here" }], maxTokens: 2 });
    expect((await run.final).stopReason).toBe("length");
  });

  it("a model that fails to load is an APICallError with the Rein error as cause; the next call tries again", async () => {
    await using client = createTestClient();
    const rein = createRein({ client });
    const model = rein("/nonexistent/model.gguf");
    const first = await generateText({ model, prompt: "a" }).catch((caught: unknown) => caught);
    expect(first).toMatchObject({ name: "AI_APICallError", isRetryable: false, url: "rein://completion//nonexistent/model.gguf" });
    expect((first as Error).cause).toMatchObject({ name: "ModelNotFoundError" });
    const second = await generateText({ model, prompt: "a" }).catch((caught: unknown) => caught);
    expect((second as Error).cause).toMatchObject({ name: "ModelNotFoundError" });
    await rein.close();
    expect((await client.inspect()).models).toEqual([]);
  });

  it("after the worker crashed, the next call loads the model again in the new worker", async () => {
    await using client = createTestClient();
    const rein = createRein({ client });
    const model = rein(await tinyModel());
    await generateText({ model, prompt: "a", maxOutputTokens: 2 });
    const crashed = client.workerPid!;
    process.kill(crashed, "SIGKILL");
    // maxRetries 0: the reload must not depend on ai retrying a WorkerCrashedError.
    let result = await generateText({ model, prompt: "b", maxOutputTokens: 2, maxRetries: 0 }).catch((error: unknown) => error);
    // The kill may be noticed only by this call (it then fails as a retryable crash); the one after must work.
    if (!(result && typeof result === "object" && "text" in result)) {
      expect(result).toMatchObject({ isRetryable: true, data: { code: 50200 } });
      result = await generateText({ model, prompt: "b", maxOutputTokens: 2, maxRetries: 0 });
    }
    expect((result as { finishReason: string }).finishReason).toBe("length");
    expect(client.workerPid).not.toBe(crashed);
    expect((await client.inspect()).models).toEqual([expect.objectContaining({ references: 1 })]);
    await rein.close();
  });

  it("bad arguments fail at once, naming the field", async () => {
    await using client = createTestClient();
    expect(() => createRein({ client, threads: 2 })).toThrow(InvalidInputError);
    expect(() => createRein().languageModel("")).toThrow(/modelSrc/);
    expect(() => new (createRein() as unknown as new (source: string) => unknown)("x.gguf")).toThrow(TypeError);
    expect(() => createRein().imageModel("x")).toThrow(/no image models/);
  });
});
