import os from "node:os";
import path from "node:path";
import { ChecksumMismatchError, loadModelInputSchema, type LoadModelInput } from "@rein/protocol";
import { hashFileInto } from "../../download/hash-file.ts";
import { effectiveThreads, resolveModelConfig, type ModelConfigDefaults } from "../../engine/model-config.ts";
import { modelIdFor } from "../../engine/model-id.ts";
import type { WorkerServices } from "../../worker-services.ts";
import { defineOp } from "../define-op.ts";
import { sha256 } from "../../startup/lazy-crypto.ts";

const isUrl = (source: string) => /^https?:\/\//i.test(source);

/** The id a load of this input creates; computed before the request begins so `cancel({ modelId })` reaches the load. */
export function modelIdOfInput(input: LoadModelInput, services: Pick<WorkerServices, "defaultThreads">): string {
  const config = resolveModelConfig(input.modelConfig, configDefaults(services));
  return modelIdFor(input.modelSrc, config);
}

/** The worker's defaults; threads are clamped to the cores this process may use. */
function configDefaults(services: Pick<WorkerServices, "defaultThreads">): ModelConfigDefaults {
  return { threads: services.defaultThreads, gpuLayers: 0, maxThreads: os.availableParallelism() };
}

/**
 * Loads a model from a local .gguf path or an http(s) URL (downloaded first,
 * resumable, with progress) and returns its deterministic id. A repeated load
 * returns the same id and adds a reference. Cancel is hard in both phases: the
 * transfer aborts, the native load aborts through `loadSignal`, and a model
 * whose load completed just as the cancel landed is freed: no orphans.
 */
export const loadModelOp = defineOp({
  name: "loadModel",
  kind: "loadModel",
  input: loadModelInputSchema,
  model: "none",
  cancel: "hard",
  admission: (input, _model, services) => ({ modelId: modelIdOfInput(input, services) }),
  async run(context, input): Promise<string> {
    const { services, signal } = context;
    const defaults = configDefaults(services);
    const config = resolveModelConfig(input.modelConfig, defaults);
    const threads = effectiveThreads(input.modelConfig, defaults);
    if (threads.clamped) {
      services.log("warn", `${input.modelSrc}: ${threads.requested} threads asked for, but this machine has ${threads.threads} CPU cores available; using ${threads.threads} (more threads than cores collapses decode speed)`, {
        requestedThreads: threads.requested,
        threads: threads.threads,
      });
    }
    const modelId = modelIdFor(input.modelSrc, config);
    let modelPath = path.resolve(input.modelSrc);
    if (isUrl(input.modelSrc)) {
      const downloaded = await services.downloads.download({
        requestId: context.requestId,
        url: input.modelSrc,
        sha256: input.sha256,
        signal,
        onProgress: (progress) => context.progress(progress),
      });
      modelPath = downloaded.path;
    } else if (input.sha256) {
      await verifyLocalFile(modelPath, input.sha256, signal);
    }
    const throttle = loadProgressThrottle((progress) => context.progress(progress));
    const model = await services.models.acquire({
      modelId,
      modelSrc: input.modelSrc,
      modelPath,
      config,
      signal,
      onProgress: throttle,
      log: (level, message, data) => services.log(level, message, data),
      cacheDir: services.cacheDir,
    });
    if (signal.aborted) {
      // The cancel raced the very end of the load: give our reference back so nothing stays loaded for nobody.
      const { model: released, freed } = services.models.release(modelId);
      if (freed) await released.dispose();
      signal.throwIfAborted();
    }
    throttle(1);
    return model.modelId;
  },
});

/**
 * A `sha256` given with a local path is checked like a download's: the caller
 * pinned the file's content, so a different file must not load. Hashed on each
 * load that names a digest (the file may have changed since the last one);
 * cancellable between chunks. A file that cannot be read is left to the load
 * itself, which reports it with its own typed error (ModelNotFoundError, ...).
 */
async function verifyLocalFile(modelPath: string, expected: string, signal: AbortSignal): Promise<void> {
  const hash = sha256();
  try {
    await hashFileInto(hash, modelPath, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // Unreadable (missing, a directory, no permission): the load that follows reports it with its typed error.
    void error;
    return;
  }
  const actual = hash.digest("hex");
  if (actual !== expected.toLowerCase()) throw new ChecksumMismatchError({ url: modelPath, expected: expected.toLowerCase(), actual });
}

/** At most one load-progress event per 100 ms, and always the final one. */
function loadProgressThrottle(send: (progress: { phase: "load"; loaded: number; total: number; bytesPerSecond: null; done: boolean }) => void) {
  let lastSentAt = 0;
  let finished = false;
  return (fraction: number) => {
    const now = performance.now();
    const done = fraction >= 1;
    if (finished || (!done && now - lastSentAt < 100)) return;
    lastSentAt = now;
    finished = done;
    send({ phase: "load", loaded: Math.round(fraction * 100), total: 100, bytesPerSecond: null, done });
  };
}
