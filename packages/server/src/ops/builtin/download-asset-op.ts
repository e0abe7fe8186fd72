import { downloadAssetInputSchema, type DownloadAssetResult } from "@rein/protocol";
import { defineOp } from "../define-op.ts";

/**
 * Downloads a file into the worker's cache (resumable, sha256-checked,
 * deduplicated per target file). Each caller is one subscriber of a shared
 * transfer: cancelling one drops only it; the transfer aborts when the last
 * one leaves; `cancel({ requestId, clearCache: true })` also deletes the partial file.
 */
export const downloadAssetOp = defineOp({
  name: "downloadAsset",
  kind: "downloadAsset",
  input: downloadAssetInputSchema,
  model: "none",
  cancel: "hard",
  run(context, input): Promise<DownloadAssetResult> {
    return context.services.downloads.download({
      requestId: context.requestId,
      url: input.url,
      sha256: input.sha256,
      fileName: input.fileName,
      signal: context.signal,
      onProgress: (progress) => context.progress(progress),
    });
  },
});
