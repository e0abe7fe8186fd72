import { testModelPath } from "@rein/test-model";
import type { ChatWrapper, LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatWrapperCache } from "./chat-wrapper-cache.ts";
import { getLlamaRuntime, loadEngine, type LlamaEngine } from "./llama-runtime.ts";

describe("ChatWrapperCache (real node-llama-cpp, the tiny test model)", () => {
  let engine: LlamaEngine;
  let model: LlamaModel;
  let second: LlamaModel;
  const file = { path: "/models/tiny.gguf", size: 1_900_000, modifiedMs: 1 };

  beforeAll(async () => {
    engine = await loadEngine();
    const llama = await getLlamaRuntime();
    const modelPath = await testModelPath({ preset: "tiny" });
    model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    second = await llama.loadModel({ modelPath, gpuLayers: 0 });
  });
  afterAll(async () => {
    await model?.dispose();
    await second?.dispose();
  });

  /** node-llama-cpp's own resolver (slow: ~0.1-1.5 s), or for counting only a fresh ChatML wrapper, counted. */
  function countingCache(resolver: "real" | "chatML" = "chatML"): { cache: ChatWrapperCache; calls: () => number } {
    let calls = 0;
    const cache = new ChatWrapperCache({
      resolve: (target) => {
        calls += 1;
        return resolver === "real" ? engine.resolveChatWrapper(target)! : new engine.ChatMLChatWrapper();
      },
    });
    return { cache, calls: () => calls };
  }

  it("resolves a file's chat wrapper once: a second model of the same file gets the same (specialized) wrapper", () => {
    const { cache, calls } = countingCache("real");
    const first = cache.wrapperFor(model, file);
    expect(first).toBeInstanceOf(engine.ChatMLChatWrapper);
    expect(cache.wrapperFor(second, { ...file })).toBe(first);
    expect(calls()).toBe(1);
    expect(cache.resolutions).toBe(1);
  });

  it("resolves again for a different file, a changed file (size or mtime) or a model of unknown origin", () => {
    const { cache, calls } = countingCache();
    cache.wrapperFor(model, file);
    cache.wrapperFor(model, { ...file, path: "/models/other.gguf" });
    cache.wrapperFor(model, { ...file, size: file.size + 1 });
    cache.wrapperFor(model, { ...file, modifiedMs: 2 });
    cache.wrapperFor(model, undefined);
    cache.wrapperFor(model, undefined);
    expect(calls()).toBe(6);
    expect(cache.size).toBe(4);
  });

  it("never shares a Jinja template wrapper: it holds the tokenizer of the model it was made for", () => {
    let calls = 0;
    const cache = new ChatWrapperCache({
      resolve: (target): ChatWrapper => {
        calls += 1;
        return new engine.JinjaTemplateChatWrapper({ template: model.fileInfo.metadata.tokenizer?.chat_template ?? "{{ messages }}", tokenizer: target.tokenizer });
      },
    });
    const first = cache.wrapperFor(model, file);
    const again = cache.wrapperFor(second, file);
    expect(first).toBeInstanceOf(engine.JinjaTemplateChatWrapper);
    expect(again).not.toBe(first);
    expect(calls).toBe(2);
    expect(cache.size).toBe(0);
  });

  it("keeps at most 16 files", () => {
    const { cache } = countingCache();
    for (let index = 0; index < 20; index += 1) cache.wrapperFor(model, { ...file, path: `/models/${index}.gguf` });
    expect(cache.size).toBe(16);
  });
});
