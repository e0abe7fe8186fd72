import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ChatMLChatWrapper, JinjaTemplateChatWrapper, LlamaChat, LlamaLogLevel, getLlama, resolveChatWrapper, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCRIPTED_TOOL, writeTestModel } from "./index.ts";
import { buildScriptVocabulary, buildVocabulary } from "./vocabulary.ts";
import { SCRIPTS } from "./scripts.ts";

let directory = "";
let llama: Llama;
const models: LlamaModel[] = [];

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "rein-test-model-scripts-"));
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
}, 30_000);

afterAll(async () => {
  for (const model of models) await model.dispose();
  await llama?.dispose();
  await rm(directory, { recursive: true, force: true });
});

async function load(script: "toolCall" | "thinking"): Promise<LlamaModel> {
  const written = await writeTestModel(path.join(directory, `${script}.gguf`), { script });
  const model = await llama.loadModel({ modelPath: written.path });
  models.push(model);
  return model;
}

async function respond(model: LlamaModel, functions?: Record<string, { params: object }>) {
  const context = await model.createContext({ threads: 1, contextSize: 1024 });
  try {
    const chat = new LlamaChat({ contextSequence: context.getSequence(), chatWrapper: resolveChatWrapper(model)! });
    const chunks: { segment: string | undefined; text: string }[] = [];
    const response = await chat.generateResponse([{ type: "user", text: "Anything at all" }, { type: "model", response: [] }], {
      functions: functions as never,
      maxTokens: 64,
      onResponseChunk: (chunk) => chunks.push({ segment: chunk.segmentType, text: chunk.text }),
    });
    return { response, chunks };
  } finally {
    await context.dispose();
  }
}

describe("scripted test models through node-llama-cpp's own parsing", () => {
  it("keep every id of the shared vocabulary and append only the script's pieces", () => {
    const base = buildVocabulary();
    const scripted = buildScriptVocabulary(SCRIPTS.toolCall.steps, SCRIPTS.toolCall.reachable);
    expect(scripted.tokens.slice(0, base.tokens.length)).toEqual(base.tokens);
    expect(scripted.stepIds).toEqual([base.tokens.length, base.tokens.length + 1, base.tokens.length + 2]);
  });

  it("toolCall: resolves to the ChatML wrapper, whose call syntax is `||call: name(params)`, and LlamaChat parses a complete call", async () => {
    const model = await load("toolCall");
    const wrapper = resolveChatWrapper(model);
    expect(wrapper).toBeInstanceOf(ChatMLChatWrapper);
    expect(wrapper!.settings.functions.call.prefix).toBe("||call: ");
    const { response } = await respond(model, { [SCRIPTED_TOOL.name]: { params: SCRIPTED_TOOL.parameters } });
    expect(response.metadata.stopReason).toBe("functionCalls");
    expect(response.functionCalls).toEqual([
      expect.objectContaining({ functionName: "get_weather", params: SCRIPTED_TOOL.arguments }),
    ]);
    expect(JSON.stringify((response.functionCalls as unknown as { raw: unknown }[])[0]!.raw)).toContain('||call: get_weather');
  });

  it("thinking: resolves to the Jinja template wrapper with <think> segments; the thought arrives as a segment, the answer as text", async () => {
    const model = await load("thinking");
    const wrapper = resolveChatWrapper(model);
    expect(wrapper).toBeInstanceOf(JinjaTemplateChatWrapper);
    expect(JSON.stringify(wrapper!.settings.segments?.thought?.prefix)).toContain("<think>");
    const { response, chunks } = await respond(model);
    expect(response.metadata.stopReason).toBe("eogToken");
    expect(response.response).toBe(" The answer is 42.");
    expect(chunks.filter((chunk) => chunk.segment === "thought").map((chunk) => chunk.text).join("")).toBe("Let me think.");
  });
});
