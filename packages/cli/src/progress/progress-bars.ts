/**
 * Progress bars for model downloads and loads, drawn with cli-progress on
 * stderr (stdout carries the conversation, so it stays clean for pipes).
 * One bar per phase: a URL model shows "download" then "load".
 */
import cliProgress from "cli-progress";
import type { ProgressEvent } from "@rein/sdk";

export interface ProgressBars {
  /** Feed it every `onProgress` event of `loadModel` / `downloadAsset`. */
  update(progress: ProgressEvent): void;
  /** Stops the bar on screen (call it when the load ends, whichever way). */
  stop(): void;
}

const MEGABYTE = 1024 * 1024;

/**
 * Creates the bars. Off a terminal cli-progress draws nothing, so one line per
 * phase says what happens instead (logs and tests still see it).
 *
 * @example
 * ```ts
 * const bars = createProgressBars(process.stderr);
 * const modelId = await client.loadModel({ modelSrc, onProgress: (progress) => bars.update(progress) }).finally(() => bars.stop());
 * ```
 */
export function createProgressBars(stream: NodeJS.WriteStream): ProgressBars {
  const terminal = stream.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let phase: ProgressEvent["phase"] | null = null;

  const start = (progress: ProgressEvent) => {
    phase = progress.phase;
    if (!terminal) {
      stream.write(progress.phase === "download" ? "downloading model...\n" : "loading model...\n");
      return;
    }
    const format =
      progress.phase === "download"
        ? "download [{bar}] {percentage}% | {megabytes}/{totalMegabytes} MB | {speed} | ETA {eta_formatted}"
        : "load     [{bar}] {percentage}%";
    bar = new cliProgress.SingleBar({ format, stream, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
    bar.start(progress.total ?? 100, 0, { megabytes: "0.0", totalMegabytes: "?", speed: "" });
  };

  return {
    update(progress) {
      if (progress.phase !== phase) {
        this.stop();
        start(progress);
      }
      if (!bar) return;
      if (progress.total !== null) bar.setTotal(progress.total);
      bar.update(progress.loaded, {
        megabytes: (progress.loaded / MEGABYTE).toFixed(1),
        totalMegabytes: progress.total === null ? "?" : (progress.total / MEGABYTE).toFixed(1),
        speed: progress.bytesPerSecond ? `${(progress.bytesPerSecond / MEGABYTE).toFixed(1)} MB/s` : "",
      });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
