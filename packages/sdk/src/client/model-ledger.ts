import { Command, type LoadModelInput } from "@rein/protocol";
import type { WorkerConnection } from "../transport/worker-connection.ts";
import { newRequestId } from "../requests/request-id.ts";

/**
 * What this client loaded (source, config, references), so that after a worker
 * crash the models can be loaded again under the same ids when the app opted in.
 */
export class ModelLedger {
  readonly #models = new Map<string, { input: LoadModelInput; references: number }>();

  recordLoad(modelId: string, input: LoadModelInput): void {
    const entry = this.#models.get(modelId);
    if (entry) entry.references += 1;
    else this.#models.set(modelId, { input: { modelSrc: input.modelSrc, modelConfig: input.modelConfig, sha256: input.sha256 }, references: 1 });
  }

  recordUnload(modelId: string): void {
    const entry = this.#models.get(modelId);
    if (!entry) return;
    entry.references -= 1;
    if (entry.references <= 0) this.#models.delete(modelId);
  }

  clear(): void {
    this.#models.clear();
  }

  get size(): number {
    return this.#models.size;
  }

  /**
   * Loads every recorded model into a fresh worker, once per reference, before
   * other calls run. A model that cannot be loaded again (its file is gone) is
   * dropped and reported, never thrown: one lost model must not block every
   * later call on the client.
   */
  async reload(connection: WorkerConnection, report: (modelId: string, error: unknown) => void): Promise<void> {
    for (const [modelId, { input, references }] of [...this.#models]) {
      try {
        for (let reference = 0; reference < references; reference += 1) {
          await connection.request(Command.call, { op: "loadModel", requestId: newRequestId(), input });
        }
      } catch (error) {
        this.#models.delete(modelId);
        report(modelId, error);
      }
    }
  }
}
