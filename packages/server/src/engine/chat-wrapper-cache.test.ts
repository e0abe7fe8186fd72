import { testModelPath } from "@rein/test-model";
import type { LlamaModel } from "node-llama-cpp";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatWrapperCache, type ChooseChatWrapper } from "./chat-wrapper-cache.ts";
import { ChatWrapperChoiceStore } from "./chat-wrapper-choice-store.ts";
import type { ChatWrapperChoice } from "./chat-wrapper-choice.ts";
import { getLlamaRuntime, loadEngine, type LlamaEngine } from "./llama-runtime.ts";

describe("ChatWrapperCache (real node-llama-cpp, the tiny test model)", () => {
  let engine: LlamaEngine;
  let model: LlamaModel;
  let second: LlamaModel;
  const file = { path: "/models/tiny.gguf", size: 1_900_000, modifiedMs: 1 };
  const chatML: ChatWrapperChoice = { kind: "specialized", name: "chatML", candidate: 0 };

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

  /** A cache whose resolutions are counted and answered by `answer` (a fixed choice unless told otherwise). */
  function countingCache(answer: ChooseChatWrapper = async () => chatML): { cache: ChatWrapperCache; calls: () => number } {
    let calls = 0;
    const cache = new ChatWrapperCache({
      choose: (target, options) => {
        calls += 1;
        return answer(target, options);
      },
    });
    return { cache, calls: () => calls };
  }

  it("resolves a file's chat wrapper once, in the thread: a second model of the same file gets the same (specialized) wrapper", async () => {
    const cache = new ChatWrapperCache();
    const first = await cache.wrapperFor(model, file);
    expect(first).toBeInstanceOf(engine.ChatMLChatWrapper);
    expect(await cache.wrapperFor(second, { ...file })).toBe(first);
    expect(cache.resolutions).toBe(1);
  });

  it("two loads of one file at once share one resolution", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { cache, calls } = countingCache(async () => {
      await gate;
      return chatML;
    });
    const both = Promise.all([cache.wrapperFor(model, file), cache.wrapperFor(second, file)]);
    release();
    const [first, again] = await both;
    expect(again).toBe(first);
    expect(calls()).toBe(1);
  });

  it("resolves again for a different file, a changed file (size or mtime) or a model of unknown origin", async () => {
    const { cache, calls } = countingCache();
    await cache.wrapperFor(model, file);
    await cache.wrapperFor(model, { ...file, path: "/models/other.gguf" });
    await cache.wrapperFor(model, { ...file, size: file.size + 1 });
    await cache.wrapperFor(model, { ...file, modifiedMs: 2 });
    await cache.wrapperFor(model, undefined);
    await cache.wrapperFor(model, undefined);
    expect(calls()).toBe(6);
    expect(cache.size).toBe(4);
  });

  it("remembers a Jinja choice but builds the wrapper for each model: it holds that model's tokenizer", async () => {
    const { cache, calls } = countingCache(async () => ({ kind: "jinja" }));
    const first = await cache.wrapperFor(model, file);
    const again = await cache.wrapperFor(second, file);
    expect(first).toBeInstanceOf(engine.JinjaTemplateChatWrapper);
    expect(again).toBeInstanceOf(engine.JinjaTemplateChatWrapper);
    expect(again).not.toBe(first);
    expect(calls()).toBe(1);
  });

  it("when the thread cannot choose, resolves on the main thread (node-llama-cpp's own resolver) and remembers that", async () => {
    const { cache, calls } = countingCache(async () => {
      throw new Error("declined: test");
    });
    const wrapper = await cache.wrapperFor(model, file);
    expect(wrapper.constructor).toBe(engine.resolveChatWrapper(model)!.constructor);
    expect(await cache.wrapperFor(second, file)).toBe(wrapper);
    expect(calls()).toBe(1);
  });

  it("an aborted wait rejects at once; the resolution stops only when its last waiter aborted, and is not remembered", async () => {
    const seen: AbortSignal[] = [];
    const { cache, calls } = countingCache(
      (_target, options) =>
        new Promise<ChatWrapperChoice>((_resolve, reject) => {
          seen.push(options.signal!);
          options.signal!.addEventListener("abort", () => reject(options.signal!.reason), { once: true });
        }),
    );
    const first = new AbortController();
    const second_ = new AbortController();
    const waiting = [cache.wrapperFor(model, file, { signal: first.signal }), cache.wrapperFor(second, file, { signal: second_.signal })];
    first.abort(new Error("first cancelled"));
    await expect(waiting[0]).rejects.toThrow("first cancelled");
    expect(seen[0]!.aborted).toBe(false);
    second_.abort(new Error("second cancelled"));
    await expect(waiting[1]).rejects.toThrow("second cancelled");
    expect(seen[0]!.aborted).toBe(true);
    // Forgotten: the next load resolves again.
    const again = cache.wrapperFor(model, file, { signal: AbortSignal.abort(new Error("third cancelled")) });
    await expect(again).rejects.toThrow("third cancelled");
    await Promise.resolve();
    expect(cache.size).toBe(0);
    expect(calls()).toBe(1);
  });

  it("a choice an earlier worker kept on disk is used without resolving; a new choice is kept there", async () => {
    const cacheDir = await mkdtemp(path.join(tmpdir(), "rein-choices-"));
    try {
      const first = countingCache();
      const persisted = new ChatWrapperChoiceStore(cacheDir);
      expect(first.cache.knows(file, persisted)).toBe(false);
      expect(await first.cache.wrapperFor(model, file, { persisted })).toBeInstanceOf(engine.ChatMLChatWrapper);
      expect(first.calls()).toBe(1);
      // On disk by the time the load has its wrapper: a fresh store (the next worker) reads it.
      expect(new ChatWrapperChoiceStore(cacheDir).recall(file)).toEqual(chatML);

      const next = countingCache();
      const nextStore = new ChatWrapperChoiceStore(cacheDir);
      expect(next.cache.knows(file, nextStore)).toBe(true);
      expect(await next.cache.wrapperFor(model, file, { persisted: nextStore })).toBeInstanceOf(engine.ChatMLChatWrapper);
      expect(next.calls()).toBe(0);
      expect(next.cache.resolutions).toBe(0);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it("a kept choice that cannot be built (edited by hand) is forgotten and the file resolved again", async () => {
    const cacheDir = await mkdtemp(path.join(tmpdir(), "rein-choices-"));
    try {
      const persisted = new ChatWrapperChoiceStore(cacheDir);
      await persisted.remember(file, { kind: "specialized", name: "chatML", candidate: 99 });
      const { cache, calls } = countingCache();
      expect(await cache.wrapperFor(model, file, { persisted })).toBeInstanceOf(engine.ChatMLChatWrapper);
      expect(calls()).toBe(1);
      expect(new ChatWrapperChoiceStore(cacheDir).recall(file)).toEqual(chatML);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it("keeps at most 16 files", async () => {
    const { cache } = countingCache();
    for (let index = 0; index < 20; index += 1) await cache.wrapperFor(model, { ...file, path: `/models/${index}.gguf` });
    expect(cache.size).toBe(16);
  });
});
