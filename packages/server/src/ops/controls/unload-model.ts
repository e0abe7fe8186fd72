import { parseInput, unloadModelInputSchema } from "@rein/protocol";
import type { WorkerServices } from "../../worker-services.ts";

export interface UnloadModelResult {
  /** False when other loads still hold a reference; the model stays in memory for them. */
  freed: boolean;
  references: number;
  /** Requests stopped because the model went away. */
  cancelled: number;
}

/**
 * Releases one reference to a model. At the last reference: the model leaves
 * the table (new requests get ModelNotLoadedError), every request on it is
 * cancelled (running and queued, reason "modelUnloaded"), the worker waits
 * until they released their sequences, and only then frees native memory.
 * A control, not a request: it is short, and cancelling it would leave a
 * half-freed model.
 */
export async function unloadModel(rawInput: unknown, services: WorkerServices): Promise<UnloadModelResult> {
  const { modelId } = parseInput(unloadModelInputSchema, rawInput, "unloadModel");
  const { model, freed } = services.models.release(modelId);
  if (!freed) return { freed: false, references: model.references, cancelled: 0 };
  const cancelled = services.registry.cancel({ modelId }, "modelUnloaded");
  await services.registry.whenIdle({ modelId });
  await model.dispose();
  return { freed: true, references: 0, cancelled };
}
