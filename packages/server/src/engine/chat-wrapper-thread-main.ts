// The chat-wrapper thread: runs node-llama-cpp's own `resolveChatWrapper` off the worker's main thread and
// answers with a ChatWrapperChoice the main thread rebuilds. The search renders the GGUF's Jinja template
// against every built-in wrapper (240-580 ms of CPU on a 2-core VM for the test models' 199-character ChatML
// template); here it blocks only this thread. It imports node-llama-cpp's JavaScript only: no llama binding
// (`getLlama`) is started, the model's tokenizer is the main thread's, through the tokenizer bridge.
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import { describeChatWrapper, type ChatWrapperInputs } from "./chat-wrapper-choice.ts";
import type { ChatWrapperThreadData, ChatWrapperThreadInputs, ChatWrapperThreadResult } from "./chat-wrapper-thread-messages.ts";
import type { LlamaEngine } from "./llama-runtime.ts";
import { bridgedTokenizer } from "./tokenizer-bridge.ts";

const port = parentPort;
if (port === null) throw new Error("chat-wrapper-thread-main runs only as a worker thread");
const { shared, timeoutMs } = workerData as ChatWrapperThreadData;

// Imported at once: the thread starts while the model is still loading, its inputs come when it loaded.
const engine = import("node-llama-cpp") as Promise<LlamaEngine>;
engine.catch(() => undefined);
port.once("message", (message: ChatWrapperThreadInputs) => {
  void choose(message.inputs).then((result) => port.postMessage(result));
});

async function choose(inputs: ChatWrapperInputs): Promise<ChatWrapperThreadResult> {
  try {
    const { resolveChatWrapper } = await engine;
    const template = inputs.fileInfo.metadata.tokenizer.chat_template;
    const declined = template === undefined || template.trim() === "" ? undefined : needsNativeRenderer(template);
    if (declined !== undefined) return { type: "declined", reason: declined };
    const { tokenizer, failure } = bridgedTokenizer({ port: port!, shared, timeoutMs });
    // The same call `resolveChatWrapper(model)` makes, without `llama` (see needsNativeRenderer).
    const wrapper = resolveChatWrapper({ ...inputs, architecture: inputs.architecture as never, fileInfo: inputs.fileInfo as never, tokenizer });
    const failed = failure();
    if (failed !== undefined) return { type: "declined", reason: failed };
    const choice = describeChatWrapper(await engine, wrapper);
    if (choice === undefined) return { type: "declined", reason: `node-llama-cpp chose a ${wrapper?.constructor.name} this thread cannot describe` };
    return { type: "chosen", choice };
  } catch (error) {
    return { type: "declined", reason: `the resolution failed in the thread: ${String(error instanceof Error ? (error.stack ?? error.message) : error)}` };
  }
}

/**
 * node-llama-cpp renders a template with @huggingface/jinja and only when that cannot parse it, with the llama
 * binding's native renderer (JinjaRenderer.render in JinjaTemplateChatWrapper.js). This thread has no binding,
 * so for such a template it could choose differently from the main thread: it declines instead, and the main
 * thread resolves as before. The parser is the copy node-llama-cpp itself resolves.
 */
function needsNativeRenderer(template: string): string | undefined {
  const fromEngine = createRequire(createRequire(import.meta.url).resolve("node-llama-cpp"));
  const { Template } = fromEngine("@huggingface/jinja") as { Template: new (template: string) => unknown };
  try {
    new Template(template);
    return undefined;
  } catch (error) {
    return `the chat template needs node-llama-cpp's native Jinja renderer (${String(error instanceof Error ? error.message : error)})`;
  }
}
