import type { WorkerStatus } from "@rein/protocol";
import type { WorkerServices } from "../../worker-services.ts";

/**
 * How busy the worker is, per loaded model: requests running and queued, counted over every caller.
 * Only counts, never request ids, so any connection may ask (a remote client's pool routes new requests
 * to the least busy peer by it, and uses the answer as its liveness hello).
 *
 * @example
 * ```ts
 * const status = await workerStatus({}, services);
 * status.models["model-id"]?.queued; // 3
 * ```
 */
export async function workerStatus(_input: unknown, services: WorkerServices): Promise<WorkerStatus> {
  const models: WorkerStatus["models"] = {};
  for (const model of services.models.list()) models[model.modelId] = { running: 0, queued: 0 };
  let running = 0;
  let queued = 0;
  for (const request of services.registry.snapshot()) {
    const isQueued = request.state === "queued";
    if (isQueued) queued += 1;
    else running += 1;
    const counts = request.modelId === null ? undefined : models[request.modelId];
    if (counts && isQueued) counts.queued += 1;
    else if (counts) counts.running += 1;
  }
  return { running, queued, models };
}
