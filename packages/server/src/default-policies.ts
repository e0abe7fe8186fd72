import type { RequestKind } from "@rein/protocol";
import type { ConcurrencyPolicy } from "./registry/index.ts";

/**
 * The worker's admission rules unless the client sets its own.
 * - completion: as many at once per model as the model has sequences
 *   (`modelConfig.parallel`, passed per request), FIFO queue beyond that;
 *   no queue timeout, since a default would kill legitimately long waits.
 * - embeddings: one native call per model at a time (the embedding context is
 *   shared), queued.
 * - loads, downloads and custom ops are not gated: loads and downloads
 *   deduplicate by target instead.
 */
export function defaultPolicies(): Partial<Record<RequestKind, ConcurrencyPolicy>> {
  return {
    completion: { onOverflow: "queue", maxQueueDepth: 64 },
    embeddings: { maxConcurrentPerModel: 1, onOverflow: "queue", maxQueueDepth: 64 },
  };
}
