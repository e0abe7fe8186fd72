// One cold start of plain node-llama-cpp in a fresh process, the way an app without Rein pays it:
// import the module, getLlama(), load the model, create a context (and resolve the chat wrapper, which Rein
// does at load). Prints one JSON line with the times in milliseconds. Usage: node plain-cold-start.mjs <model> <threads> <ctx>
const [modelPath, threads, contextSize] = process.argv.slice(2);
const startedAt = performance.now();
const { getLlama, LlamaLogLevel, resolveChatWrapper } = await import("node-llama-cpp");
const importedAt = performance.now();
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
const llamaAt = performance.now();
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: Number(contextSize), sequences: 1, threads: Number(threads), batchSize: 512 });
resolveChatWrapper(model);
const readyAt = performance.now();
process.stdout.write(`${JSON.stringify({ importMs: importedAt - startedAt, getLlamaMs: llamaAt - importedAt, loadMs: readyAt - llamaAt, processUptimeMs: process.uptime() * 1000 })}\n`);
await context.dispose();
await model.dispose();
