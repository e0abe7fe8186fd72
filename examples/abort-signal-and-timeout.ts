/**
 * Standard AbortSignals and deadlines:
 *   1. an AbortController aborted mid-stream behaves like cancel({ requestId });
 *   2. an already-aborted signal rejects at once and nothing reaches the worker;
 *   3. timeoutMs ends the run with stopReason "timeout" and RequestTimeoutError (52422).
 *
 *   npm run example:signal
 */
import { createClient, InferenceCancelledError, RequestTimeoutError, type CompletionRun } from "@rein/sdk";
import { exampleModelPath } from "@rein/test-model";

const client = createClient();
const modelId = await client.loadModel({ modelSrc: await exampleModelPath() });
const history = [{ role: "user" as const, content: "Explain tides." }];

/** Drains the events; returns the stop reason, how many deltas streamed and their total length. */
async function drain(run: CompletionRun, onDelta?: (count: number) => void): Promise<{ stopReason: string; deltas: number; characters: number }> {
  let deltas = 0;
  let characters = 0;
  let stopReason = "";
  for await (const event of run.events) {
    if (event.type === "contentDelta") {
      // Counted before the optional call: `onDelta?.(++deltas)` would skip the increment when there is no callback.
      deltas += 1;
      characters += event.text.length;
      onDelta?.(deltas);
    }
    if (event.type === "completionDone") stopReason = event.stopReason;
  }
  return { stopReason, deltas, characters };
}

// 1. AbortController: abort() after 10 streamed deltas. The abort reason comes back as the error's cause.
console.log("--- 1. AbortController");
const controller = new AbortController();
const aborted = client.completion({ modelId, history, maxTokens: 2000, signal: controller.signal });
const first = await drain(aborted, (count) => {
  if (count === 10) controller.abort(new Error("user navigated away"));
});
console.log(`stopReason=${first.stopReason} deltas=${first.deltas} streamed=${first.characters}`);
await aborted.text.catch((error: unknown) => {
  if (!InferenceCancelledError.isInstance(error)) throw error;
  console.log(`rejected: ${error.name} code=${error.code} reason=${error.reason} cause=${(error.cause as Error).message} partial length=${error.partial.text?.length ?? 0}`);
});

// 2. A signal that is already aborted: the request settles without being sent.
console.log("--- 2. pre-aborted signal");
const callsBefore = (await client.inspect()).counters.callsReceived;
const never = client.completion({ modelId, history, signal: AbortSignal.abort() });
const second = await drain(never);
await never.text.catch((error: unknown) => {
  if (!InferenceCancelledError.isInstance(error)) throw error;
  console.log(`rejected: ${error.name} code=${error.code} reason=${error.reason}`);
});
const callsAfter = (await client.inspect()).counters.callsReceived;
console.log(`stopReason=${second.stopReason} deltas=${second.deltas} calls the worker received: ${callsAfter - callsBefore}`);

// 3. timeoutMs: a deadline for the whole request (queue wait included), enforced by the worker.
console.log("--- 3. timeoutMs");
const slow = client.completion({ modelId, history, maxTokens: 100_000, timeoutMs: 800 });
const third = await drain(slow);
console.log(`stopReason=${third.stopReason} deltas=${third.deltas} streamed=${third.characters}`);
await slow.text.catch((error: unknown) => {
  if (!RequestTimeoutError.isInstance(error)) throw error;
  console.log(`rejected: ${error.name} code=${error.code} timeoutMs=${error.timeoutMs} partial length=${error.partial?.text?.length ?? 0}`);
});

// AbortSignal.timeout() is the standard way to say the same from the caller's side: it cancels like a user abort.
const timed = client.completion({ modelId, history, maxTokens: 100_000, signal: AbortSignal.timeout(800) });
const fourth = await drain(timed);
await timed.text.catch((error: unknown) => {
  if (!InferenceCancelledError.isInstance(error)) throw error;
  console.log(`AbortSignal.timeout(800): stopReason=${fourth.stopReason} deltas=${fourth.deltas} reason=${error.reason} cause=${(error.cause as Error).name}`);
});

await client.close();
