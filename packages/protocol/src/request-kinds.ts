/**
 * Every kind of request the registry knows. Policies, broad cancel and logs are
 * per kind. The list is closed on purpose (one place to extend): a custom op
 * declares one of these, `custom` by default.
 */
export const REQUEST_KINDS = ["completion", "embeddings", "loadModel", "downloadAsset", "rag", "custom"] as const;

export type RequestKind = (typeof REQUEST_KINDS)[number];

/** Lifecycle states of a request in the worker's registry. */
export const REQUEST_STATES = ["queued", "running", "cancelling", "completed", "failed", "cancelled"] as const;

export type RequestState = (typeof REQUEST_STATES)[number];

/** States after which a request never changes again. */
export const TERMINAL_STATES: ReadonlySet<RequestState> = new Set(["completed", "failed", "cancelled"]);
