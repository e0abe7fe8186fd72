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
  async run(context, input): Promise<DownloadAssetResult> {
    const { downloads } = context.services;
    try {
      return await downloads.download({
        requestId: context.requestId,
        url: input.url,
        sha256: input.sha256,
        fileName: input.fileName,
        signal: context.signal,
        onProgress: (progress) => context.progress(progress),
      });
    } catch (error) {
      // Hard cancel: when this was the last subscriber, end only after the transfer let go of its socket
      // and file (and deleted the partial on clearCache), so unload and shutdown never outrun it.
      if (context.signal.aborted) await downloads.whenStopped(input.url, input.fileName);
      throw error;
    }
  },
});
