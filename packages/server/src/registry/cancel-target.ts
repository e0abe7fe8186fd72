import type { RequestKind } from "@rein/protocol";
import type { CancelTarget } from "./registry-types.ts";

/** What a broad cancel looks at in each request. */
export interface BroadCancelCandidate {
  readonly kind: RequestKind;
  readonly modelId: string | null;
  readonly workspace: string | null;
}

/**
 * Reads a cancel target: `{ requestId }` comes back as the id; `{ modelId, kind? }`,
 * `{ workspace }` and `{ all: true }` as a predicate. Anything else is a programming error
 * (the wire schema already rejects it), so it throws.
 *
 * @example
 * ```ts
 * const target = readCancelTarget({ modelId: "m", kind: "completion" });
 * if (target.type === "broad") entries.filter(target.matches);
 * ```
 */
export function readCancelTarget(
  target: CancelTarget,
): { type: "request"; requestId: string } | { type: "broad"; matches: (candidate: BroadCancelCandidate) => boolean } {
  if (typeof target !== "object" || target === null) throw new TypeError("cancel() expects a target object");
  if ("requestId" in target && typeof target.requestId === "string") return { type: "request", requestId: target.requestId };
  if ("all" in target && target.all === true) return { type: "broad", matches: () => true };
  if ("modelId" in target && typeof target.modelId === "string") {
    const { modelId, kind } = target;
    return {
      type: "broad",
      matches: (candidate) => candidate.modelId === modelId && (kind === undefined || candidate.kind === kind),
    };
  }
  if ("workspace" in target && typeof target.workspace === "string") {
    const { workspace } = target;
    return { type: "broad", matches: (candidate) => candidate.workspace === workspace };
  }
  throw new TypeError("cancel() expects { requestId }, { modelId, kind? }, { workspace } or { all: true }");
}
