import { testModelPath } from "@rein/test-model";
import type { ChatWrapper, LlamaModel, Tokenizer } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildChatWrapper, chatWrapperFingerprint, chatWrapperInputs, type ChatWrapperChoice, type ChatWrapperInputs } from "./chat-wrapper-choice.ts";
import { chooseChatWrapperForInputs, chooseChatWrapperInThread } from "./chat-wrapper-thread.ts";
import { getLlamaRuntime, loadEngine, type LlamaEngine } from "./llama-runtime.ts";

const LLAMA_3_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
const LLAMA_2_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + ' ' + eos_token }}{% endif %}{% endfor %}";
const UNKNOWN_TEMPLATE =
  "{% for message in messages %}{{ '### ' + message['role'] + ':\\n' + message['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '### assistant:\\n' }}{% endif %}";

describe("the chat-wrapper thread (real node-llama-cpp, the test models' tokenizers)", () => {
  let engine: LlamaEngine;
  const models = new Map<"tiny" | "medium", LlamaModel>();

  beforeAll(async () => {
    engine = await loadEngine();
    const llama = await getLlamaRuntime();
    for (const preset of ["tiny", "medium"] as const) models.set(preset, await llama.loadModel({ modelPath: await testModelPath({ preset }), gpuLayers: 0 }));
  });
  afterAll(async () => {
    for (const model of models.values()) await model.dispose();
  });

  function model(preset: "tiny" | "medium"): LlamaModel {
    return models.get(preset)!;
  }

  /** What node-llama-cpp's resolver gives on this thread, with the model's llama binding, as `resolveChatWrapper(model)` calls it. */
  function resolvedOnMain(inputs: ChatWrapperInputs, target: LlamaModel): ChatWrapper {
    const llama = (target as unknown as { _llama: unknown })._llama;
    return engine.resolveChatWrapper({ ...inputs, architecture: inputs.architecture as never, fileInfo: inputs.fileInfo as never, tokenizer: target.tokenizer, llama: llama as never }) ?? new engine.GeneralChatWrapper();
  }

  /** Same class, same settings, same state, and the same prompt for a chat with a system message and two turns. */
  function expectSameWrapper(rebuilt: ChatWrapper, reference: ChatWrapper): void {
    expect(rebuilt.constructor).toBe(reference.constructor);
    expect(JSON.stringify(rebuilt.settings)).toBe(JSON.stringify(reference.settings));
    expect(chatWrapperFingerprint(rebuilt)).toBe(chatWrapperFingerprint(reference));
    const chatHistory = [
      { type: "system", text: "Be brief." },
      { type: "user", text: "Hello" },
      { type: "model", response: ["Hi there"] },
      { type: "user", text: "Bye" },
      { type: "model", response: [""] },
    ] as const;
    const render = (wrapper: ChatWrapper) => JSON.stringify(wrapper.generateContextState({ chatHistory: chatHistory as never }).contextText);
    expect(render(rebuilt)).toBe(render(reference));
  }

  function withTemplate(target: LlamaModel, template: string | undefined, change: Partial<ChatWrapperInputs> & { general?: Record<string, unknown> } = {}): ChatWrapperInputs {
    const { general, ...rest } = change;
    const base = chatWrapperInputs(target);
    return { ...base, ...rest, fileInfo: { metadata: { general: general ?? base.fileInfo.metadata.general, tokenizer: template === undefined ? {} : { chat_template: template } } } };
  }

  it.each(["tiny", "medium"] as const)("chooses for the %s model what resolveChatWrapper(model) gives on the main thread", async (preset) => {
    const choice = await chooseChatWrapperInThread(model(preset));
    expect(choice).toEqual({ kind: "specialized", name: "chatML", candidate: expect.any(Number) });
    const rebuilt = buildChatWrapper(engine, model(preset).tokenizer, model(preset).fileInfo.metadata.tokenizer?.chat_template, choice);
    expectSameWrapper(rebuilt, engine.resolveChatWrapper(model(preset))!);
  });

  it.each([
    { name: "a Llama 3 template", kind: "specialized", inputs: (target: LlamaModel) => withTemplate(target, LLAMA_3_TEMPLATE) },
    { name: "a Llama 2 template (no equivalent wrapper for this tokenizer: Jinja)", kind: "jinja", inputs: (target: LlamaModel) => withTemplate(target, LLAMA_2_TEMPLATE) },
    { name: "an unknown template (falls back to Jinja)", kind: "jinja", inputs: (target: LlamaModel) => withTemplate(target, UNKNOWN_TEMPLATE) },
    { name: "no template, a Llama 2 chat file name", kind: "specialized", inputs: (target: LlamaModel) => withTemplate(target, undefined, { filename: "llama-2-7b-chat.Q4_K_M.gguf", architecture: undefined }) },
    { name: "nothing to go by", kind: "general", inputs: (target: LlamaModel) => withTemplate(target, undefined, { filename: undefined, bosString: undefined, architecture: undefined, general: {} }) },
  ])("for $name, the thread's choice rebuilt here is the wrapper resolved here", async ({ kind, inputs }) => {
    const target = model("tiny");
    const given = inputs(target);
    const choice: ChatWrapperChoice = await chooseChatWrapperForInputs(given, target.tokenizer);
    expect(choice.kind).toBe(kind);
    const rebuilt = buildChatWrapper(engine, target.tokenizer, given.fileInfo.metadata.tokenizer.chat_template, choice);
    expectSameWrapper(rebuilt, resolvedOnMain(given, target));
  });

  it("declines a template only node-llama-cpp's native renderer could parse (the main thread resolves those itself)", async () => {
    const target = model("tiny");
    await expect(chooseChatWrapperForInputs(withTemplate(target, "{% if %}{{ x }}"), target.tokenizer)).rejects.toThrow(/native Jinja renderer/);
  });

  it("declines when a tokenizer question fails on the main thread, instead of choosing from a swallowed error", async () => {
    const target = model("tiny");
    const failing = Object.assign(
      () => {
        throw new Error("tokenizer gone");
      },
      { detokenize: target.tokenizer.detokenize, isSpecialToken: target.tokenizer.isSpecialToken, isEogToken: target.tokenizer.isEogToken },
    ) as unknown as Tokenizer;
    await expect(chooseChatWrapperForInputs(chatWrapperInputs(target), failing)).rejects.toThrow(/declined: .*tokenizer\.tokenize failed on the main thread: tokenizer gone/);
  });

  it("keeps this thread's event loop turning while it resolves, and stops when aborted", async () => {
    const target = model("medium");
    let turns = 0;
    let resolved = false;
    const turn = () => {
      turns += 1;
      if (!resolved) setImmediate(turn);
    };
    setImmediate(turn);
    const choice = chooseChatWrapperInThread(target).finally(() => (resolved = true));
    await choice;
    // Each tokenizer answer is one turn of this loop: a synchronous resolution would have allowed none.
    expect(turns).toBeGreaterThan(1);

    const controller = new AbortController();
    const aborted = chooseChatWrapperInThread(target, { signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error("load cancelled"));
    await expect(aborted).rejects.toThrow("load cancelled");
  });
});
