/**
 * A Rein model inside the Vercel AI SDK (`ai`), through `@rein/ai-sdk-provider`:
 *   1. `streamText` with an `abortSignal`: a Stop after a few deltas ends the stream with an `abort` part,
 *      and the worker has really stopped (its registry is empty, the request ended `cancelled`);
 *   2. a tool loop run by `ai` itself (`execute` in the app, `stopWhen: stepCountIs(2)`);
 *   3. structured output with a zod schema (`Output.object`), valid even on the random test model;
 *   4. `embedMany`.
 *
 *   npm run example:ai-sdk        (REIN_MODEL=./model.gguf for a real model)
 */
import { embedMany, generateText, Output, stepCountIs, streamText, tool } from "ai";
import { createRein } from "@rein/ai-sdk-provider";
import { exampleModelPath } from "@rein/test-model";
import { z } from "zod";

// The worker's lifecycle lines ("end" with the request's final state), to show where the stop landed.
const endings = new Map<string, (state: string) => void>();
const ended = (requestId: string) => new Promise<string>((resolve) => endings.set(requestId, resolve));
await using rein = createRein({
  logger: (message) => {
    const entry = message.data as { event?: string; requestId?: string; state?: string } | undefined;
    if (entry?.event === "end" && entry.requestId) endings.get(entry.requestId)?.(String(entry.state));
  },
});
const model = rein(await exampleModelPath());

// 1. Stop a stream: the abortSignal is the Rein request's signal.
const stop = new AbortController();
const streamed = streamText({ model, prompt: "Tell me a long story.", maxOutputTokens: 100_000, abortSignal: stop.signal });
let deltas = 0;
let lastPart = "";
let requestEnded: Promise<string> | undefined;
for await (const part of streamed.fullStream) {
  lastPart = part.type;
  if (part.type === "text-start") requestEnded = ended(String(part.providerMetadata?.rein?.requestId));
  if (part.type === "text-delta" && ++deltas === 8) stop.abort(); // e.g. the user pressed Stop
}
const state = await requestEnded;
const snapshot = await rein.client.inspect();
console.log(`streamText stopped after ${deltas} deltas: last part=${lastPart} request ended=${state} worker requests=${snapshot.requests.length}`);

// 2. A tool loop that `ai` runs: Rein returns the calls as tool-call parts, `ai` executes them.
const weather = await generateText({
  model,
  prompt: "What is the weather in Paris?",
  tools: {
    get_weather: tool({
      description: "Current weather in a city",
      inputSchema: z.object({ city: z.string().max(12) }),
      execute: async ({ city }, { abortSignal }) => (abortSignal?.throwIfAborted(), { city, temperature: 21 }),
    }),
  },
  toolChoice: "required", // forces a grammar-valid call, even on the random test model
  stopWhen: stepCountIs(2),
  maxOutputTokens: 64,
});
console.log(`tool loop steps=${weather.steps.length} calls=${weather.steps.flatMap((step) => step.toolCalls.map((call) => call.toolName)).join(",")} results=${weather.steps.flatMap((step) => step.toolResults).length}`);

// 3. Structured output: the JSON Schema becomes a grammar, so the object parses and passes the schema.
const person = z.object({ name: z.string().max(12), role: z.enum(["admin", "user"]), active: z.boolean() });
const { output } = await generateText({ model, output: Output.object({ schema: person }), prompt: "Invent a person.", maxOutputTokens: 128 });
console.log(`object=${JSON.stringify(output)} valid=${person.safeParse(output).success}`);

// 4. Embeddings.
const { embeddings } = await embedMany({ model: rein.embedding(await exampleModelPath()), values: ["stop", "button"] });
console.log(`embeddings=${embeddings.length} dimension=${embeddings[0]?.length}`);
