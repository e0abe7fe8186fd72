import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";
import { InvalidInputError } from "../errors/error-classes.ts";
import { REQUEST_KINDS } from "../request-kinds.ts";
import { modelIdSchema, requestIdSchema } from "./common.ts";
import { cancelByIdTarget } from "./cancel-fast-path.ts";
import { parseInput } from "./parse-input.ts";
import { workspaceNameSchema } from "./rag-schemas.ts";

const kindSchema = lazySchema(() => z.enum(REQUEST_KINDS, { message: `must be one of ${REQUEST_KINDS.join(", ")}` }));

/**
 * Every form `cancel()` accepts. The short forms (`{ requestId }`,
 * `{ modelId, kind? }`) and the legacy QVAC forms are normalised to the two
 * explicit ones by `normalizeCancelTarget`. `{ operation: "rag", workspace }` stops every request on one
 * RAG workspace (ingest, search, reindex, ...), whatever model it uses.
 */
export const cancelTargetSchema = lazySchema(() =>
  z.union([
    z.object({ operation: z.literal("request"), requestId: requestIdSchema, clearCache: z.boolean().optional() }).strict(),
    z.object({ operation: z.literal("broad"), modelId: modelIdSchema, kind: kindSchema.optional() }).strict(),
    z.object({ operation: z.literal("inference"), modelId: modelIdSchema }).strict(),
    z.object({ operation: z.literal("embeddings"), modelId: modelIdSchema }).strict(),
    z.object({ operation: z.literal("rag"), workspace: workspaceNameSchema }).strict(),
    z.object({ requestId: requestIdSchema, clearCache: z.boolean().optional() }).strict(),
    z.object({ modelId: modelIdSchema, kind: kindSchema.optional() }).strict(),
  ]),
);

export type CancelTarget = z.infer<typeof cancelTargetSchema>;

export type NormalizedCancelTarget =
  | { operation: "request"; requestId: string; clearCache?: boolean }
  | { operation: "broad"; modelId: string; kind?: (typeof REQUEST_KINDS)[number] }
  | { operation: "rag"; workspace: string };

/** Maps every accepted cancel form to `request` or `broad` (legacy `inference` = kind completion). */
export function normalizeCancelTarget(target: CancelTarget): NormalizedCancelTarget {
  if ("operation" in target) {
    switch (target.operation) {
      case "inference":
        return { operation: "broad", modelId: target.modelId, kind: "completion" };
      case "embeddings":
        return { operation: "broad", modelId: target.modelId, kind: "embeddings" };
      default:
        return target;
    }
  }
  if ("requestId" in target) return { operation: "request", ...target };
  return { operation: "broad", ...target };
}

export interface CancelResult {
  /** Requests this call actually stopped, queued ones included; a repeat counts 0. */
  cancelled: number;
}

/** What a caller who passed no usable target is told: every form, not an empty list of fields. */
const TARGET_FORMS = "needs a target: { requestId } for one request, { modelId, kind? } for every request on a model, or { operation: \"rag\", workspace } for every request on a workspace";

/**
 * Validates and normalises a `cancel()` argument. A malformed target (nothing,
 * not an object, no `requestId` / `modelId`, a requestId that is not a UUIDv4)
 * is an `InvalidInputError`: a typo must not look like "already finished". A
 * well-formed id that is unknown or finished is not an error; the cancel then
 * counts 0.
 *
 * @example
 * ```ts
 * parseCancelTarget({ requestId: crypto.randomUUID() }); // { operation: "request", requestId }
 * parseCancelTarget(undefined); // throws InvalidInputError: Invalid input for cancel: needs a target: ...
 * ```
 */
export function parseCancelTarget(target: unknown, operation = "cancel"): NormalizedCancelTarget {
  const isObject = typeof target === "object" && target !== null && !Array.isArray(target);
  if (!isObject || Object.keys(target).length === 0) throw new InvalidInputError({ field: "", reason: TARGET_FORMS, operation });
  // The Stop button's form skips zod (tens of µs on the cancel's path); anything else, and every error, goes through it.
  const byId = cancelByIdTarget(target);
  if (byId !== undefined) return byId;
  return normalizeCancelTarget(parseInput(cancelTargetSchema, target, operation));
}
