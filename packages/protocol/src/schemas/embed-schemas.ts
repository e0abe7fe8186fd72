import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";
import { modelIdSchema } from "./common.ts";

const embedText = lazySchema(() => z.string().min(1, "must not be empty").max(1_000_000, "is longer than 1,000,000 characters"));

export const embedInputSchema = lazySchema(() =>
  z.union([
    z.object({ modelId: modelIdSchema, text: embedText }).strict(),
    z.object({ modelId: modelIdSchema, texts: z.array(embedText).min(1, "must hold at least one text").max(10_000) }).strict(),
  ]),
);

export type EmbedInput = z.infer<typeof embedInputSchema>;

export interface EmbedResult {
  /** One vector per input text, in input order. */
  vectors: number[][];
  dimension: number;
}
