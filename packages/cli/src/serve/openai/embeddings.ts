/**
 * POST /v1/embeddings: `input` is one string or an array of strings (token
 * arrays are refused: the engine embeds text). `encoding_format: "base64"`
 * (what the `openai` npm client asks for by default) packs each vector as
 * little-endian float32, as OpenAI does. `usage` counts are 0: the engine does
 * not report the tokens of an embedding.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { servedModel, startOwnedRequest, type ServeContext } from "../serve-context.ts";
import { HttpError, toHttpError } from "./openai-errors.ts";
import { openAiParam, parseOpenAiBody } from "./request-mapping.ts";

const embeddingsRequestSchema = z.object({
  model: z.string().min(1, "must name a served model"),
  input: z.union([z.string(), z.array(z.string()).min(1, "must hold at least one text")], { error: "must be a string or an array of strings" }),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().nullish(),
});

/**
 * Registers the route on `app`.
 *
 * @example
 * ```ts
 * registerEmbeddings(app, { backend, ownership });
 * ```
 */
export function registerEmbeddings(app: FastifyInstance, context: ServeContext): void {
  app.post("/v1/embeddings", async (request, reply) => {
    const body = parseOpenAiBody(embeddingsRequestSchema, request.body, "embeddings");
    const model = servedModel(context, body.model);
    const work = startOwnedRequest(context, request, reply, { kind: "embeddings", modelName: body.model });
    const texts = typeof body.input === "string" ? { text: body.input } : { texts: body.input };
    const embedding = work.client.embed({ modelId: model.modelId, ...texts, requestId: work.requestId, signal: work.abort.signal });
    work.settleWith(embedding);
    const result = await embedding.catch((error: unknown) => {
      throw toHttpError(error, openAiParam);
    });
    if (body.dimensions != null && body.dimensions !== result.dimension) {
      throw new HttpError(400, { message: `this model's vectors have ${result.dimension} dimensions; "dimensions" cannot change that`, type: "invalid_request_error", param: "dimensions", code: "invalid_value" });
    }
    return reply.send({
      object: "list",
      model: body.model,
      data: result.vectors.map((vector, index) => ({ object: "embedding", index, embedding: body.encoding_format === "base64" ? toBase64(vector) : vector })),
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });
}

function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}
