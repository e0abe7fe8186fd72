/**
 * Tool calls, structured output, and cancel during a tool, on one requestId:
 *   1. the model calls `get_weather` (toolChoice "required" forces a grammar-valid call even on the random
 *      test model), the app runs it, the result goes back, the loop ends at maxSteps;
 *   2. `responseFormat: json_schema` returns a parsed, schema-checked object;
 *   3. cancel while a tool runs: its signal aborts, the run ends cancelled with the calls so far.
 *
 *   npm run example:tools
 */
import { createClient, InferenceCancelledError, tool } from "@rein/sdk";
import { exampleModelPath } from "@rein/test-model";
import { z } from "zod";

const client = createClient();
const modelId = await client.loadModel({ modelSrc: await exampleModelPath() });
const history = [{ role: "user" as const, content: "What is the weather in Paris?" }];

const getWeather = tool({
  description: "Current weather in a city",
  parameters: z.object({ city: z.string().max(12), unit: z.enum(["celsius", "fahrenheit"]) }),
  execute: async ({ city, unit }) => ({ city, unit, temperature: 21 }),
});

const run = client.completion({ modelId, history, tools: { get_weather: getWeather }, toolChoice: "required", maxSteps: 2, maxTokens: 64 });
for await (const event of run.events) {
  if (event.type === "toolCall") console.log(`toolCall name=${event.call.name} arguments=${JSON.stringify(event.call.arguments)}`);
  if (event.type === "toolResult") console.log(`toolResult id=${event.id} result=${JSON.stringify(event.result)}`);
  if (event.type === "completionDone") console.log(`loop stopReason=${event.stopReason}`);
}
const final = await run.final;
console.log(`history roles=${final.messages.map((message) => message.role).join(",")} second-turn evaluated=${final.steps[1]?.stats.evaluatedPromptTokens} of ${final.steps[1]?.stats.promptTokens}`);

const person = z.object({ name: z.string().max(12), age: z.enum(["young", "old"]), admin: z.boolean() });
const json = await client.completion({ modelId, history: [{ role: "user", content: "Invent a person." }], responseFormat: { type: "json_schema", schema: person }, maxTokens: 128 }).final;
console.log(`object=${JSON.stringify(json.object)} valid=${person.safeParse(json.object).success}`);

let toolSignal: AbortSignal | undefined;
const slow = client.completion({
  modelId,
  history,
  toolChoice: "required",
  maxTokens: 64,
  tools: {
    slow_lookup: tool({
      parameters: z.object({ key: z.enum(["a", "b"]) }),
      execute: async (_args, { signal }) => {
        toolSignal = signal;
        void client.cancel({ requestId: slow.requestId }); // e.g. the user pressed Stop while the tool runs
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      },
    }),
  },
});
try {
  await slow.final;
} catch (error) {
  if (!InferenceCancelledError.isInstance(error)) throw error;
  console.log(`cancel during execute: signal aborted=${toolSignal?.aborted} calls so far=${error.partial.toolCalls?.length}`);
}
await client.close();
