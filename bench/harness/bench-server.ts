import { startServe, type RunningServer } from "@rein/cli";
import { LifecycleWatch } from "./lifecycle-watch.ts";

/**
 * A `rein serve` in this process (the real HTTP app and worker) on a free port, serving one model as "bench",
 * without keys; its worker's lifecycle log is followed to time native stops.
 *
 * @example
 * ```ts
 * const { running, watch } = await startBenchServer({ threads: 1, modelPath, contextSize: 2048, parallel: 1 });
 * ```
 */
export async function startBenchServer(options: { threads: number; modelPath: string; contextSize: number; parallel: number }): Promise<{ running: RunningServer; watch: LifecycleWatch }> {
  const watch = new LifecycleWatch();
  const running = await startServe({
    host: "127.0.0.1",
    port: 0,
    models: [{ name: "bench", modelSrc: options.modelPath }],
    keys: { apiKeys: [] },
    threads: options.threads,
    modelConfig: { ctx_size: options.contextSize, parallel: options.parallel, threads: options.threads, batch_size: 512 },
    logger: watch.logger,
    errorOutput: process.stderr,
  });
  return { running, watch };
}

