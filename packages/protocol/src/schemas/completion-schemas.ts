import { z } from "zod";
import { modelIdSchema } from "./common.ts";

export const chatMessageSchema = z
  .object({
    role: z.enum(["system", "user", "assistant"]),
    content: z.string().max(4_000_000, "is longer than 4,000,000 characters"),
  })
  .strict();

export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const completionInputSchema = z
  .object({
    modelId: modelIdSchema,
    history: z.array(chatMessageSchema).min(1, "must hold at least one message").max(10_000),
    /** Streaming is always on the wire; `stream: false` only changes nothing but is accepted for QVAC compatibility. */
    stream: z.boolean().optional(),
    maxTokens: z.number().int().min(1, "must be at least 1").max(1 << 20, "must be at most 1048576").optional(),
    temperature: z.number().min(0, "must not be negative").max(10, "must be at most 10").optional(),
    topP: z.number().gt(0, "must be greater than 0").max(1, "must be at most 1").optional(),
    topK: z.number().int().min(0, "must not be negative").max(100_000).optional(),
    seed: z.number().int().min(0, "must not be negative").max(2 ** 32 - 1, "must fit in 32 bits").optional(),
    stopSequences: z.array(z.string().min(1, "must not be empty").max(256)).max(16, "holds more than 16 entries").optional(),
  })
  .strict();

export type CompletionInput = z.infer<typeof completionInputSchema>;
