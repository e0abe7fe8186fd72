import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";
import { fileNameSchema, httpUrlSchema, sha256Schema } from "./common.ts";

export const downloadAssetInputSchema = lazySchema(() =>
  z
    .object({
      url: httpUrlSchema,
      sha256: sha256Schema.optional(),
      /** File name inside the worker's cache directory; derived from the URL when absent. */
      fileName: fileNameSchema.optional(),
    })
    .strict(),
);

export type DownloadAssetInput = z.infer<typeof downloadAssetInputSchema>;

export interface DownloadAssetResult {
  path: string;
  bytes: number;
  sha256: string;
  /** True when the file was already complete in the cache. */
  cached: boolean;
}
