/**
 * Cancel one completion by its requestId.
 *
 * The requestId exists as soon as `completion()` returns (before any await),
 * so another part of the program — a Stop button, an HTTP handler — can
 * cancel the request knowing nothing but that string.
 *
 *   npm run example:cancel                       # generated tiny model
 *   REIN_MODEL=./qwen3-0.6b-q4.gguf npm run example:cancel
 */
import { cancel, close, completion, InferenceCancelledError, loadModel, unloadModel } from "@rein/sdk";
import { exampleModelPath } from "@rein/test-model";

// How long the completion may stream before we cancel it.
const CANCEL_AFTER_MS = 150;

const modelSrc = await exampleModelPath();
console.log(`model: ${modelSrc}`);
const modelId = await loadModel({ modelSrc });

// maxTokens is far more than the model can produce in CANCEL_AFTER_MS: the cancel, not the limit, ends the run.
const run = completion({
  modelId,
  history: [{ role: "user", content: "Tell me a long story about a river." }],
  maxTokens: 2000,
});
// Only the id travels to whoever decides to stop the request.
const requestId = run.requestId;
console.log(`requestId: ${requestId}`);

let deltas = 0;
let stopReason = "";
for await (const event of run.events) {
  if (event.type === "contentDelta") {
    deltas += 1;
    // Start the countdown once text flows, so the example shows a mid-stream cancel even when a big model loads slowly.
    if (deltas === 1) {
      setTimeout(() => {
        void cancel({ requestId }).then((result) => console.log(`cancel({ requestId }) -> cancelled=${result.cancelled}`));
      }, CANCEL_AFTER_MS);
    }
  }
  // The event stream ends normally, with one completionDone that says why.
  if (event.type === "completionDone") stopReason = event.stopReason;
}
console.log(`content deltas streamed: ${deltas}`);
console.log(`stopReason=${stopReason}`);

// The promises of a cancelled run reject, carrying what was produced before the cancel.
try {
  await run.text;
  console.log("run.text resolved (the model finished before the cancel)");
} catch (error) {
  if (!InferenceCancelledError.isInstance(error)) throw error;
  console.log(`run.text rejected: ${error.name} code=${error.code} reason=${error.reason} partial length=${error.partial.text?.length ?? 0}`);
}

await unloadModel({ modelId });
console.log("model unloaded");
await close();
