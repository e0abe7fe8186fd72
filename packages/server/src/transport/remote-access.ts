import { PermissionDeniedError, type CallMessage, type ModelConfig } from "@rein/protocol";

/** A model the operator lets remote callers load: by its name or its exact source, always with this config. */
export interface RemoteModel {
  name: string;
  modelSrc: string;
  modelConfig?: ModelConfig;
}

/** What a remote connection may reach beyond running requests on loaded models. */
export interface RemoteAccessRules {
  /** The models a remote `loadModel` may name; anything else is refused. Default: none. */
  models?: readonly RemoteModel[];
}

/** Ops that read local files or fetch URLs of the caller's choosing: never for a remote caller. */
const LOCAL_ONLY_OPS = new Set(["downloadAsset"]);

/**
 * Checks one call of a remote connection against the operator's rules and
 * returns the call to run. A remote `loadModel` names an allowed model (its
 * name or its exact source) and gets the operator's source and config: a
 * caller on the network can neither make the worker read a path or URL of its
 * choosing nor load a second copy of a model with a config of its own.
 *
 * @example
 * ```ts
 * const rules = { models: [{ name: "qwen", modelSrc: "/models/qwen.gguf", modelConfig: { ctx_size: 4096 } }] };
 * authorizeRemoteCall({ op: "loadModel", requestId, input: { modelSrc: "qwen" } }, rules);
 * // -> input { modelSrc: "/models/qwen.gguf", modelConfig: { ctx_size: 4096 } }
 * ```
 */
export function authorizeRemoteCall(message: CallMessage, rules: RemoteAccessRules, caller: { owner?: string } = {}): CallMessage {
  if (LOCAL_ONLY_OPS.has(message.op)) {
    throw new PermissionDeniedError({ operation: message.op, reason: "a remote connection cannot make the server fetch URLs or read files" });
  }
  // Workspaces live in the server's cache directory and are not (yet) namespaced per API key: one key could read
  // or delete another's. Until they are, only an unscoped (admin) caller may reach them remotely.
  if (message.op.startsWith("rag") && caller.owner !== undefined) {
    throw new PermissionDeniedError({ operation: message.op, reason: "RAG workspaces are shared by every caller of this server; only an admin key may use them remotely" });
  }
  if (message.op !== "loadModel") return message;
  const input = (message.input ?? {}) as { modelSrc?: unknown; modelConfig?: unknown };
  const allowed = (rules.models ?? []).find((model) => model.name === input.modelSrc || model.modelSrc === input.modelSrc);
  if (allowed === undefined) {
    const names = (rules.models ?? []).map((model) => model.name);
    throw new PermissionDeniedError({
      operation: "loadModel",
      reason: `modelSrc: a remote connection may load only the models the operator allowed (${names.length > 0 ? names.join(", ") : "none"})`,
    });
  }
  if (input.modelConfig !== undefined) {
    throw new PermissionDeniedError({ operation: "loadModel", reason: "modelConfig: a remote connection uses the operator's config for a model; leave it out" });
  }
  const modelInput = allowed.modelConfig === undefined ? { modelSrc: allowed.modelSrc } : { modelSrc: allowed.modelSrc, modelConfig: allowed.modelConfig };
  return { ...message, input: modelInput };
}
