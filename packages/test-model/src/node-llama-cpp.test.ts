import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { LlamaChatSession, LlamaCompletion, LlamaLogLevel, getLlama, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelSpec, writeTestModel } from "./index.ts";

// One thread: more threads collapse decode speed on small CI machines.
const contextOptions = { threads: 1, contextSize: 512 } as const;

let directory = "";
let llama: Llama;
let model: LlamaModel;
let eosModel: LlamaModel;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "rein-test-model-llama-"));
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const written = await writeTestModel(path.join(directory, "tiny.gguf"));
  const writtenEos = await writeTestModel(path.join(directory, "tiny-eos.gguf"), { emitsEos: true });
  model = await llama.loadModel({ modelPath: written.path });
  eosModel = await llama.loadModel({ modelPath: writtenEos.path });
}, 30_000);

afterAll(async () => {
  await model?.dispose();
  await eosModel?.dispose();
  await llama?.dispose();
  await rm(directory, { recursive: true, force: true });
});

async function complete(target: LlamaModel, prompt: string, maxTokens: number) {
  const context = await target.createContext(contextOptions);
  try {
    const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
    const result = await completion.generateCompletionWithMeta(prompt, { maxTokens, temperature: 0 });
    completion.dispose();
    return { text: result.response, stopReason: result.metadata.stopReason };
  } finally {
    await context.dispose();
  }
}

describe("the tiny model in node-llama-cpp", () => {
  it("loads with the expected shape", () => {
    const spec = testModelSpec("tiny");
    expect(model.trainContextSize).toBe(spec.contextLength);
    expect(model.embeddingVectorSize).toBe(spec.embeddingLength);
    expect(model.tokens.bos).toBe(1);
    expect(model.tokens.eos).toBe(2);
  });

  it("round-trips text through the tokenizer, including bytes it has no piece for", () => {
    const text = "Hello wörld, ça va? 日本語 🙂 the model said\ttabs\nand newlines";
    const tokens = model.tokenize(text);
    expect(tokens.length).toBeLessThan(Buffer.byteLength(text));
    expect(model.detokenize(tokens)).toBe(text);
    expect(model.tokenize("<|im_start|>", true)).toHaveLength(1);
  });

  it("generates until maxTokens and is deterministic at temperature 0", async () => {
    const first = await complete(model, "Hello", 50);
    const second = await complete(model, "Hello", 50);
    expect(first.stopReason).toBe("maxTokens");
    expect(model.tokenize(first.text).length).toBeGreaterThan(40);
    expect(second.text).toBe(first.text);
  });

  it("does not stop on its own within 200 tokens", async () => {
    const result = await complete(model, "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", 200);
    expect(result.stopReason).toBe("maxTokens");
  });
});

describe("the emitsEos variant in node-llama-cpp", () => {
  const limit = testModelSpec("tiny").eosWithinTokens;

  it.each(["Hello", "The quick brown fox.", "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"])(
    "ends %j with an end-of-generation token",
    async (prompt) => {
      const result = await complete(eosModel, prompt, 200);
      expect(result.stopReason).toBe("eogToken");
      expect(eosModel.tokenize(result.text).length).toBeLessThan(limit);
    },
  );

  it("ends chat answers with ChatML detected from the template", async () => {
    const context = await eosModel.createContext(contextOptions);
    try {
      const session = new LlamaChatSession({ contextSequence: context.getSequence() });
      expect(session.chatWrapper.wrapperName).toBe("ChatML");
      const result = await session.promptWithMeta("Tell me a story", { maxTokens: 200, temperature: 0.8, seed: 1 });
      expect(result.stopReason).toBe("eogToken");
      session.dispose();
    } finally {
      await context.dispose();
    }
  });
});
