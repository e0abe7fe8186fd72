import { OP_NAME_PATTERN, type ProgressEvent, type RequestKind } from "@rein/protocol";
import type { z } from "zod";
import type { RequestContext } from "../registry/index.ts";
import type { LoadedModel } from "../engine/loaded-model.ts";
import type { WorkerServices } from "../worker-services.ts";

/**
 * How an op reacts to cancel.
 * - `hard`: the native work stops (per-sequence abort, aborted fetch, loadSignal);
 *   the executor waits for `run` to return before it answers.
 * - `soft`: the native work cannot be interrupted; the caller is answered
 *   "cancelled" at once, later output is dropped, and the model slot stays held
 *   until `run` really returns (so no second native call overlaps it).
 */
export type CancelCapability = "hard" | "soft";

/** What an op's `run` gets besides its validated input. */
export interface OpContext {
  readonly requestId: string;
  /** Aborted on cancel (by id, by model, by parent, on unload or shutdown) and on the deadline. */
  readonly signal: AbortSignal;
  readonly request: RequestContext;
  readonly services: WorkerServices;
  /** The model named by `input.modelId`; present when the op declares `model: "required"`. */
  readonly model: LoadedModel | undefined;
  /** Streams one value to the caller. Dropped silently once the request was cancelled. */
  emit(value: unknown): void;
  /** Reports progress; the caller's `onProgress` sees it. */
  progress(progress: ProgressEvent): void;
  /**
   * Runs synchronously when the request is cancelled, before the caller is
   * told: values emitted from here still reach the caller (an op that batches
   * its output flushes what it produced before the cancel).
   */
  onCancel(hook: () => void): void;
}

export interface OpDefinition<Schema extends z.ZodType = z.ZodType, Output = unknown> {
  /** The name a client calls it by (`client.call(name, input)`); unique per worker. */
  readonly name: string;
  readonly kind: RequestKind;
  readonly input: Schema;
  /**
   * A hand-written check of the common input shapes, for an op on a latency path: returns what `input` would
   * return, or undefined to let `input` parse (and name the field of an error). It must accept nothing that
   * `input` refuses.
   */
  readonly fastInput?: (raw: unknown) => z.output<Schema> | undefined;
  /** `required`: the input has a `modelId` that must name a loaded model; broad cancel by that model reaches it. */
  readonly model: "required" | "none";
  readonly cancel: CancelCapability;
  /**
   * Registry identity beyond the defaults: the modelId to file the request under
   * (e.g. loadModel files itself under the id it will create, so `cancel({ modelId })`
   * reaches a load in progress), a concurrency cap for this request, and the RAG workspace it works on
   * (`cancel({ operation: "rag", workspace })` reaches it).
   */
  admission?(
    input: z.output<Schema>,
    model: LoadedModel | undefined,
    services: WorkerServices,
  ): { modelId?: string; maxConcurrent?: number; workspace?: string };
  run(context: OpContext, input: z.output<Schema>): Promise<Output>;
  /** Releases a result that arrived after a soft cancel (nobody will read it). */
  discard?(output: Output): void | Promise<void>;
}

/**
 * Defines an operation the worker can run as a request. Built-in ops use the
 * same API; an application registers its own with `startWorker({ ops })`.
 *
 * @example
 * ```ts
 * export const reverseOp = defineOp({
 *   name: "reverse",
 *   kind: "custom",
 *   input: z.object({ text: z.string() }),
 *   model: "none",
 *   cancel: "hard",
 *   async run(context, input) {
 *     for (const character of [...input.text].reverse()) {
 *       if (context.signal.aborted) break;
 *       context.emit(character);
 *     }
 *     return [...input.text].reverse().join("");
 *   },
 * });
 * ```
 */
export function defineOp<Schema extends z.ZodType, Output>(definition: OpDefinition<Schema, Output>): OpDefinition<Schema, Output> {
  if (!OP_NAME_PATTERN.test(definition.name)) {
    throw new TypeError(`Op name "${definition.name}" must start with a letter and use only letters, digits, _ . : -`);
  }
  return Object.freeze(definition);
}

/** Any op, with its input and output types erased (what the worker keeps in its table). */
export type AnyOpDefinition = OpDefinition<z.ZodType, any>;
