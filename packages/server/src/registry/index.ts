export { AdmissionLanes, laneKey } from "./admission.ts";
export type { AdmissionDecision, LaneWaiter } from "./admission.ts";
export { CancelSignalReason, isCancelSignalReason } from "./cancel-signal-reason.ts";
export type { CancelCause } from "./cancel-signal-reason.ts";
export {
  DEFAULT_MAX_QUEUE_DEPTH,
  normalizeConcurrencyPolicy,
  oneAtATimePerModel,
  PolicyTable,
} from "./concurrency-policy.ts";
export type { ConcurrencyPolicy, NormalizedConcurrencyPolicy } from "./concurrency-policy.ts";
export { DisposableScope } from "./disposable-scope.ts";
export {
  BoundedExpiringMap,
  DEFAULT_REMEMBERED_MAX_ENTRIES,
  DEFAULT_REMEMBERED_TTL_MS,
} from "./remembered-cancels.ts";
export type { BoundedExpiringMapOptions } from "./remembered-cancels.ts";
export { RequestRegistry } from "./request-registry.ts";
export type {
  BeginOptions,
  CancelTarget,
  LifecycleLogEntry,
  RegistryCounters,
  RegistryOptions,
  RegistryScope,
  RequestContext,
} from "./registry-types.ts";
