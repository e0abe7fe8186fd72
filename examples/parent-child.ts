/**
 * Parent and child requests: cancelling the parent cancels its children.
 *
 * A "research answer" task: the parent drafts an outline; one child embeds
 * a batch of passages for retrieval, another writes the answer. When the user
 * gives up on the task, one cancel of the parent stops all three.
 *
 *   npm run example:parent-child
 */
import { createClient, InferenceCancelledError, type CompletionRun, type LogMessage } from "@rein/sdk";
import { exampleModelPath } from "@rein/test-model";

// Lifecycle lines from the worker tell us when each request really started and ended (no guessing with timers).
const waiting = new Map<string, () => void>();
const lifecycle = (event: "begin" | "end", requestId: string) =>
  new Promise<void>((resolve) => waiting.set(`${event} ${requestId}`, resolve));
const began = (requestId: string) => lifecycle("begin", requestId);
const logger = (message: LogMessage) => {
  waiting.get(`${String(message.data?.event)} ${String(message.data?.requestId)}`)?.();
};

const client = createClient({ logger });
// Two sequences, so the parent and the child completion both generate.
const modelId = await client.loadModel({ modelSrc: await exampleModelPath(), modelConfig: { parallel: 2 } });

/** Counts the deltas of a run and resolves `streaming` at the first one. */
function follow(run: CompletionRun) {
  const state = { deltas: 0, stopReason: "", streaming: undefined as unknown as Promise<void>, done: undefined as unknown as Promise<void> };
  let markStreaming!: () => void;
  state.streaming = new Promise((resolve) => (markStreaming = resolve));
  state.done = (async () => {
    for await (const event of run.events) {
      if (event.type === "contentDelta" && ++state.deltas === 1) markStreaming();
      if (event.type === "completionDone") state.stopReason = event.stopReason;
    }
    markStreaming();
  })();
  return state;
}

const question = "How do rivers shape valleys?";
const parent = client.completion({ modelId, history: [{ role: "user", content: `Outline an answer: ${question}` }], maxTokens: 2000 });
const parentState = follow(parent);

// `parent` takes the run itself or its requestId.
const passages = Array.from({ length: 5000 }, (_, index) => `Passage ${index}: water, rock and time.`);
const embedding = client.embed({ modelId, texts: [question, ...passages], parent });
const embedBegun = began(embedding.requestId);
const answer = client.completion({ modelId, history: [{ role: "user", content: question }], maxTokens: 2000, parent: parent.requestId });
const answerState = follow(answer);

console.log(`parent  ${parent.requestId} completion (outline)`);
console.log(`child 1 ${embedding.requestId} embed (${passages.length + 1} texts)`);
console.log(`child 2 ${answer.requestId} completion (answer)`);

// All three are working now.
await Promise.all([parentState.streaming, answerState.streaming, embedBegun]);
const before = await client.inspect();
console.log(`in the worker before cancel: ${before.requests.length} requests, ${before.requests.filter((request) => request.parentRequestId === parent.requestId).length} of them children of the parent`);

// A cancelled stream ends as soon as the worker confirms the cancel; the worker lets go of a request a moment
// later (the embedding in flight cannot be interrupted: it finishes, and its result is dropped).
const ended = Promise.all([parent, embedding, answer].map((request) => lifecycle("end", request.requestId)));
const result = await client.cancel({ requestId: parent.requestId });
console.log(`cancel({ requestId: parent }) -> cancelled=${result.cancelled}`);

await Promise.all([parentState.done, answerState.done]);
const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "finished",
    (error: unknown) => (InferenceCancelledError.isInstance(error) ? `cancelled (reason=${error.reason})` : String(error)),
  );
console.log(`parent:  stopReason=${parentState.stopReason} ${await reasonOf(parent.text)} deltas=${parentState.deltas}`);
console.log(`child 1: embed ${await reasonOf(embedding)}`);
console.log(`child 2: stopReason=${answerState.stopReason} ${await reasonOf(answer.text)} deltas=${answerState.deltas}`);

// Only requests keep the process alive, not log lines: a timer holds it open while the end lines arrive
// (and turns one that never comes into a clear failure instead of a silent exit).
let guard: NodeJS.Timeout | undefined;
await Promise.race([
  ended,
  new Promise((_, reject) => (guard = setTimeout(() => reject(new Error("no end line from the worker within 30 s")), 30_000))),
]).finally(() => clearTimeout(guard));
const after = await client.inspect();
console.log(`in the worker after cancel: ${after.requests.length} requests`);
await client.close();
