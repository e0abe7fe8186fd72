/**
 * What happens when requests compete for a model:
 *   1. default policy: a second completion on a one-sequence model waits in a FIFO queue;
 *   2. `oneAtATimePerModel`: the second is rejected at once with code 52420;
 *   3. the policy is per model: two models generate in parallel.
 *
 *   npm run example:concurrent
 */
import { createClient, oneAtATimePerModel, RequestRejectedByPolicyError, type CompletionRun, type LogMessage } from "@rein/sdk";
import { exampleModelPath } from "@rein/test-model";

const modelSrc = await exampleModelPath();
const history = [{ role: "user" as const, content: "Count the stars." }];

/**
 * Resolves at the first streamed text of a run (or when it ends without any).
 * It keeps reading to the end: leaving a `for await` over `run.events` early would cancel the run.
 */
function firstDelta(run: CompletionRun): Promise<void> {
  return new Promise((resolve) => {
    void (async () => {
      for await (const event of run.events) if (event.type === "contentDelta" || event.type === "completionDone") resolve();
    })();
  });
}

// 1. Queueing. The logger receives the worker's lifecycle lines: begin, queued, cancel, end.
console.log("--- 1. default policy: queue");
const queuedIds = new Set<string>();
const logger = (message: LogMessage) => {
  if (message.data?.event === "queued") queuedIds.add(String(message.data.requestId));
};
const queueing = createClient({ logger });
const modelId = await queueing.loadModel({ modelSrc }); // parallel defaults to 1: one completion at a time
const first = queueing.completion({ modelId, history, maxTokens: 64 });
const second = queueing.completion({ modelId, history, maxTokens: 64 });
const order: string[] = [];
await Promise.all(
  [first, second].map(async (run, index) => {
    for await (const event of run.events) {
      if (event.type === "contentDelta" && !order.includes(`${index + 1} streams`)) order.push(`${index + 1} streams`);
      if (event.type === "completionDone") order.push(`${index + 1} done (${event.stopReason})`);
    }
  }),
);
console.log(`second request queued: ${queuedIds.has(second.requestId)}`);
console.log(`order: ${order.join(" -> ")}`);
await queueing.close();

// 2. Rejection. Same situation, but the policy refuses to queue.
console.log("--- 2. oneAtATimePerModel: reject");
const strict = createClient({ policies: { completion: oneAtATimePerModel } });
const strictModelId = await strict.loadModel({ modelSrc });
const busy = strict.completion({ modelId: strictModelId, history, maxTokens: 2000 });
await firstDelta(busy);
const refused = strict.completion({ modelId: strictModelId, history, maxTokens: 64 });
try {
  await refused.text;
  console.log("second request ran (unexpected)");
} catch (error) {
  if (!RequestRejectedByPolicyError.isInstance(error)) throw error;
  console.log(`rejected: code=${error.code} name=${error.name}`);
  console.log(`  requestId=${error.requestId} (same as run.requestId: ${error.requestId === refused.requestId})`);
  console.log(`  kind=${error.kind} modelId=${error.modelId} rule=${error.rule}`);
  console.log(`  reason=${error.reason}`);
}
await busy.cancel();

// 3. Different models in parallel. A second config of the same file is a second model with its own id.
console.log("--- 3. two models, one request each, at the same time");
const otherModelId = await strict.loadModel({ modelSrc, modelConfig: { ctx_size: 1024 } });
const runs = [strictModelId, otherModelId].map((id) => strict.completion({ modelId: id, history, maxTokens: 2000 }));
await Promise.all(runs.map(firstDelta));
const snapshot = await strict.inspect();
const running = snapshot.requests.filter((request) => request.state === "running");
console.log(`running at once: ${running.length} on ${new Set(running.map((request) => request.modelId)).size} models`);
await Promise.all(runs.map((run) => run.cancel()));
await strict.close();
