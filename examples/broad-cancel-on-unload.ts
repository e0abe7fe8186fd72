/**
 * `unloadModel` stops every request on the model — running and queued — waits
 * until their native work has let go of the model, then frees it.
 *
 *   npm run example:unload
 */
import { createClient, InferenceCancelledError, type CompletionRun, type ReinClient } from "@rein/sdk";
import { exampleModelPath } from "@rein/test-model";

const client = createClient();
// Two sequences: two completions run at once, a third waits in the model's queue.
const modelId = await client.loadModel({ modelSrc: await exampleModelPath(), modelConfig: { parallel: 2 } });
console.log(`model loaded: ${modelId}`);

interface Tracked {
  label: string;
  run: CompletionRun;
  deltas: number;
  firstDelta: Promise<void>;
  done: Promise<string>;
}

function start(label: string): Tracked {
  const run = client.completion({ modelId, history: [{ role: "user", content: `Story number ${label}, please.` }], maxTokens: 2000 });
  const tracked = { label, run, deltas: 0 } as Tracked;
  let markFirst!: () => void;
  tracked.firstDelta = new Promise((resolve) => (markFirst = resolve));
  tracked.done = (async () => {
    for await (const event of run.events) {
      if (event.type === "contentDelta" && ++tracked.deltas === 1) markFirst();
      if (event.type === "completionDone") return event.stopReason;
    }
    return "none";
  })();
  return tracked;
}

const requests = [start("A"), start("B"), start("C")];

// Wait for real state, not for time: A and B streaming, C in the worker's queue.
await Promise.all([requests[0]!.firstDelta, requests[1]!.firstDelta]);
await until(client, (snapshot) => snapshot.queued === 1);
const before = await client.inspect();
console.log(`before unload: ${before.requests.filter((request) => request.state === "running").length} running, ${before.queued} queued`);

const unloaded = await client.unloadModel({ modelId });
console.log(`unloadModel -> cancelled=${unloaded.cancelled} freed=${unloaded.freed}`);

for (const request of requests) {
  const stopReason = await request.done;
  const reason = await request.run.text.then(
    () => "none",
    (error: unknown) => (InferenceCancelledError.isInstance(error) ? error.reason : String(error)),
  );
  console.log(`request ${request.label} ${request.run.requestId}: stopReason=${stopReason} reason=${reason} deltas=${request.deltas}`);
}

const after = await client.inspect();
console.log(`after unload: ${after.requests.length} requests, ${after.models.length} models in the worker`);
await client.close();

/** Asks the worker until `predicate` holds; each round trip is a fraction of a millisecond. */
async function until(reinClient: ReinClient, predicate: (snapshot: Awaited<ReturnType<ReinClient["inspect"]>>) => boolean): Promise<void> {
  while (!predicate(await reinClient.inspect())) await new Promise((resolve) => setImmediate(resolve));
}
