/**
 * POST /v1/chat/completions, streaming (SSE) and not. Either way the SDK call
 * carries a signal tied to the connection, so a client that leaves cancels
 * its request wherever it is: queued, in prompt evaluation, or decoding.
 */
import type { FastifyInstance } from "fastify";
import type { CompletionRun, CompletionStats } from "@rein/sdk";
import { servedModel, startOwnedRequest, type ServeContext } from "../serve-context.ts";
import { chatChunk, chatCompletion, finishReason, openAiToolCall, usageChunk, type ChunkBase } from "./chat-response.ts";
import { toHttpError } from "./openai-errors.ts";
import { chatCompletionRequestSchema, openAiParam, parseOpenAiBody, toCompletionParams, type ChatCompletionRequest } from "./request-mapping.ts";
import { SseStream } from "./sse-stream.ts";

/**
 * Registers the route on `app`.
 *
 * @example
 * ```ts
 * registerChatCompletions(app, { backend, ownership });
 * ```
 */
export function registerChatCompletions(app: FastifyInstance, context: ServeContext): void {
  app.post("/v1/chat/completions", async (request, reply) => {
    const body = parseOpenAiBody(chatCompletionRequestSchema, request.body, "chat.completions");
    const model = servedModel(context, body.model);
    const params = toCompletionParams(body, model.modelId);
    const work = startOwnedRequest(context, request, reply, { kind: "completion", modelName: body.model });
    const run = work.client.completion({ ...params, requestId: work.requestId, signal: work.abort.signal });
    work.settleWith(run.final);
    const base: ChunkBase = { id: `chatcmpl-${work.requestId}`, created: Math.floor(Date.now() / 1000), model: body.model };
    if (!body.stream) {
      const final = await run.final.catch((error: unknown) => {
        throw toHttpError(error, openAiParam);
      });
      return reply.send(chatCompletion(base, final));
    }
    // Input the SDK refuses rejects the run within the current turn: answer that with a plain 400, not a stream.
    let refused: unknown;
    run.final.catch((error: unknown) => (refused = error));
    await new Promise((resolve) => setImmediate(resolve));
    if (refused !== undefined) throw toHttpError(refused, openAiParam);
    const headers = Object.fromEntries(Object.entries(reply.getHeaders()).map(([name, value]) => [name, String(value)]));
    reply.hijack();
    await streamRun(new SseStream(reply.raw), run, base, body, headers);
  });
}

async function streamRun(sse: SseStream, run: CompletionRun, base: ChunkBase, body: ChatCompletionRequest, headers: Record<string, string>): Promise<void> {
  // Headers first: the client has the x-request-id (to cancel) before the prompt is evaluated.
  sse.open(headers);
  await sse.send(chatChunk(base, { role: "assistant", content: "" }));
  let stats: CompletionStats | undefined;
  let toolIndex = 0;
  for await (const event of run.events) {
    if (sse.closed) break; // leaving the loop cancels the run (the connection signal already did)
    if (event.type === "contentDelta") await sse.send(chatChunk(base, { content: event.text }));
    else if (event.type === "toolCall") await sse.send(chatChunk(base, { tool_calls: [{ index: toolIndex++, ...openAiToolCall(event.call) }] }));
    else if (event.type === "completionStats") stats = event.stats;
    else if (event.type === "completionDone") {
      if (event.stopReason === "cancelled" || event.stopReason === "timeout" || event.stopReason === "error") {
        // The stream's status is already 200: the error travels as an event, as OpenAI's own stream errors do.
        const failure = await run.final.then(() => undefined, (error: unknown) => error);
        await sse.send(toHttpError(failure, openAiParam).body);
        sse.end();
        return;
      }
      await sse.send(chatChunk(base, {}, finishReason(event.stopReason)));
    }
  }
  if (body.stream_options?.include_usage) await sse.send(usageChunk(base, stats));
  sse.done();
}
