import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";
import { httpUrlSchema, modelIdSchema, sha256Schema } from "./common.ts";

/** Options for the native model and its context; keys follow llama.cpp's option names, as in the QVAC SDK. */
export const modelConfigSchema = lazySchema(() =>
  z
    .object({
      ctx_size: z.number().int().min(64, "must be at least 64").max(1 << 20, "must be at most 1048576").optional(),
      /** Parallel sequences of the context = completions that may run at once on this model. */
      parallel: z.number().int().min(1, "must be at least 1").max(64, "must be at most 64").optional(),
      threads: z.number().int().min(1, "must be at least 1").max(1024, "must be at most 1024").optional(),
      gpu_layers: z.number().int().min(0, "must not be negative").max(100_000).optional(),
      batch_size: z.number().int().min(1, "must be at least 1").max(1 << 16, "must be at most 65536").optional(),
      /** Tokens per prompt-evaluation chunk; a cancel during prefill lands within one chunk. 0 turns chunking off. */
      prefill_chunk_size: z.number().int().min(0, "must not be negative").max(1 << 16).optional(),
    })
    .strict(),
);

export type ModelConfig = z.infer<typeof modelConfigSchema>;

/**
 * A local path to a GGUF model file or an http(s) URL to download it from. The
 * file name is not checked: the worker reads the file's magic bytes ("GGUF"),
 * so a model saved as `model.bin` loads and a text file named `x.gguf` does not.
 */
export const modelSrcSchema = lazySchema(() =>
  z
    .string()
    .min(1, "must not be empty")
    .max(4096, "is longer than 4096 characters")
    .refine((value) => !value.includes("\0"), { message: "must not contain a NUL byte" })
    .superRefine((value, context) => {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
        const parsed = httpUrlSchema.safeParse(value);
        if (!parsed.success) context.addIssue({ code: "custom", message: parsed.error.issues[0]?.message ?? "invalid URL" });
      }
    }),
);

export const loadModelInputSchema = lazySchema(() =>
  z
    .object({
      modelSrc: modelSrcSchema,
      modelConfig: modelConfigSchema.optional(),
      /** Expected sha256 of the model file: checked after a download, and before a local file is loaded (ChecksumMismatchError). */
      sha256: sha256Schema.optional(),
    })
    .strict(),
);

export type LoadModelInput = z.infer<typeof loadModelInputSchema>;

export const unloadModelInputSchema = lazySchema(() => z.object({ modelId: modelIdSchema }).strict());

export type UnloadModelInput = z.infer<typeof unloadModelInputSchema>;
