/**
 * Every way a completion can end, side by side:
 *   eos          the model produced its end-of-sequence token
 *   length       maxTokens reached
 *   stopSequence one of `stopSequences` appeared (it is not included in the text)
 *   cancelled    cancel() / cancel({ requestId }) / an aborted signal
 *   timeout      timeoutMs passed
 *
 *   npm run example:stop-reasons
 */
import { createClient, type CompletionParams, type CompletionRun } from "@rein/sdk";
import { exampleModelPath } from "@rein/test-model";

const client = createClient();
// The generated tiny model never emits EOS unless asked to; with REIN_MODEL both paths are your model.
const modelId = await client.loadModel({ modelSrc: await exampleModelPath() });
const eosModelId = await client.loadModel({ modelSrc: await exampleModelPath({ emitsEos: true }) });
const history = [{ role: "user" as const, content: "Describe the sea." }];

interface Outcome {
  stopReason: string;
  text: string;
  tokens: number | undefined;
}

/** Runs to the end and reports the stop reason from the events, the text streamed and the token count. */
async function outcome(run: CompletionRun, onFirstDelta?: () => void): Promise<Outcome> {
  let text = "";
  let stopReason = "";
  for await (const event of run.events) {
    if (event.type === "contentDelta") {
      if (text === "") onFirstDelta?.();
      text += event.text;
    }
    if (event.type === "completionDone") stopReason = event.stopReason;
  }
  // Cancelled and timed-out runs reject their promises; their stats are in the error's partial output.
  const tokens = await run.stats.then(
    (stats) => stats.generatedTokens,
    (error: { partial?: { stats?: { generatedTokens: number } } }) => error.partial?.stats?.generatedTokens,
  );
  return { stopReason, text, tokens };
}

function print(label: string, result: Outcome, note = ""): void {
  const preview = JSON.stringify(result.text.length > 40 ? `${result.text.slice(0, 40)}…` : result.text);
  console.log(`${label.padEnd(13)} stopReason=${result.stopReason.padEnd(12)} tokens=${String(result.tokens ?? "?").padEnd(5)} chars=${String(result.text.length).padEnd(5)} ${preview}${note}`);
}

const run = (params: Partial<CompletionParams>) => client.completion({ modelId, history, ...params });

print("eos", await outcome(client.completion({ modelId: eosModelId, history, maxTokens: 1000 })));

const long = await outcome(run({ maxTokens: 48 }));
print("length", long, " (maxTokens: 48)");

// Temperature 0 (the default) is deterministic: the same prompt produces the same text again,
// so a piece of the text just generated is sure to appear. Take it from the middle, so some text precedes it.
const start = Math.floor(long.text.length / 2);
const stopSequence = long.text.slice(start, start + 4).trim() || long.text.slice(0, 1);
print("stopSequence", await outcome(run({ maxTokens: 48, stopSequences: [stopSequence] })), ` (stopSequences: [${JSON.stringify(stopSequence)}])`);

const cancelled = run({ maxTokens: 2000 });
print("cancelled", await outcome(cancelled, () => void cancelled.cancel()), " (cancel() at the first delta)");

print("timeout", await outcome(run({ maxTokens: 100_000, timeoutMs: 300 })), " (timeoutMs: 300)");

await client.close();
