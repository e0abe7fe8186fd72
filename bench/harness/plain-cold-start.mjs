// One cold start of plain node-llama-cpp in a fresh process, the way an app without Rein pays it:
// import the module, getLlama(), load the model, create a context (and resolve the chat wrapper, which Rein
// does at load). Prints one JSON line with the times in milliseconds.
// Usage: node plain-cold-start.mjs <model> <threads> <ctx> [<binary record>]
// With a binary record (the file a Rein worker writes in its cache dir), the binding starts the way Rein's
// worker starts it from that record: the same binary, without getLlama()'s child-process binary test, so Rein
// can also be compared with a plain app that skips the same work.
import { readFileSync } from "node:fs";

const [modelPath, threads, contextSize, recordFile] = process.argv.slice(2);
const startedAt = performance.now();
const engine = await import("node-llama-cpp");
const { getLlama, LlamaLogLevel, resolveChatWrapper } = engine;
const importedAt = performance.now();
const bindingPath = recordFile ? JSON.parse(readFileSync(recordFile, "utf8")).bindingPath : undefined;
const llama = bindingPath
  ? await (await import("../../packages/server/dist/engine/tested-binary-start.js")).startTestedBinary({ engine, bindingPath, logLevel: LlamaLogLevel.error })
  : await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
const llamaAt = performance.now();
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: Number(contextSize), sequences: 1, threads: Number(threads), batchSize: 512 });
resolveChatWrapper(model);
const readyAt = performance.now();
process.stdout.write(`${JSON.stringify({ importMs: importedAt - startedAt, getLlamaMs: llamaAt - importedAt, loadMs: readyAt - llamaAt, processUptimeMs: process.uptime() * 1000 })}\n`);
await context.dispose();
await model.dispose();
