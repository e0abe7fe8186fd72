import path from "node:path";
import type { WorkerConfig } from "@rein/protocol";
import { DownloadManager } from "./download/index.ts";
import type { AnyOpDefinition } from "./ops/define-op.ts";
import { importOps, registerOp } from "./ops/op-modules.ts";
import type { WorkerServices } from "./worker-services.ts";

type MutableServices = WorkerServices & { downloads: DownloadManager; defaultThreads: number; cacheDir: string };

/**
 * The handshake's `configure` step for one worker: applies a config the
 * dispatcher already validated (`workerConfigSchema`), all or nothing.
 * Everything that can fail (importing op modules, name clashes) happens
 * before the first setting changes, so a failed handshake leaves the worker
 * exactly as it was.
 *
 * @example
 * ```ts
 * const configure = createConfigure({ ops, services, setForwardLogs: (enabled) => (forwardLogs = enabled) });
 * await configure({ defaultThreads: 2, opModules: ["/app/ops.js"] });
 * ```
 */
export function createConfigure(options: {
  ops: Map<string, AnyOpDefinition>;
  services: MutableServices;
  setForwardLogs: (enabled: boolean) => void;
}): (config: WorkerConfig) => Promise<void> {
  const { ops, services } = options;
  return async (config) => {
    const staged = new Map(ops);
    for (const moduleSource of config.opModules ?? []) {
      for (const op of await importOps(moduleSource)) registerOp(staged, op);
    }
    const downloads = config.cacheDir ? new DownloadManager({ cacheDir: path.join(path.resolve(config.cacheDir), "downloads") }) : undefined;
    // From here on nothing throws.
    for (const [name, op] of staged) ops.set(name, op);
    options.setForwardLogs(config.forwardLogs === true);
    if (config.defaultThreads) services.defaultThreads = config.defaultThreads;
    if (config.cacheDir && downloads) {
      services.cacheDir = path.resolve(config.cacheDir);
      services.downloads = downloads;
    }
    for (const [kind, policy] of Object.entries(config.policies ?? {})) services.registry.setPolicy(kind as never, policy);
  };
}
