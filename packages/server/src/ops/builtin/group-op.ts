import { parseInput, requestIdSchema } from "@rein/protocol";
import { z } from "zod";
import type { RegistryScope } from "../../registry/index.ts";
import type { WorkerServices } from "../../worker-services.ts";
import { defineOp } from "../define-op.ts";

/** Groups waiting to be ended, by requestId. One worker process, one table. */
const openGroups = new Map<string, () => void>();

/**
 * A request that does no work of its own: it exists so that several requests
 * can name it as their `parent`. Cancelling it cancels every child (and their
 * children); its deadline bounds theirs. It ends normally through the
 * `endGroup` control, or cancelled.
 */
export const groupOp = defineOp({
  name: "group",
  kind: "custom",
  // Built on first use, like every protocol schema (see lazySchema in @rein/protocol): not at worker start.
  input: z.lazy(() => z.object({}).strict()),
  model: "none",
  cancel: "hard",
  async run(context): Promise<{ ended: true }> {
    await new Promise<void>((resolve) => {
      const finish = () => {
        openGroups.delete(context.requestId);
        context.signal.removeEventListener("abort", finish);
        resolve();
      };
      openGroups.set(context.requestId, finish);
      context.signal.addEventListener("abort", finish, { once: true });
    });
    context.signal.throwIfAborted();
    return { ended: true };
  },
});

/** Ends a group normally; its children keep running. A control: it answers at once. */
export async function endGroup(rawInput: unknown, services: WorkerServices, scope: RegistryScope): Promise<{ ended: boolean }> {
  const { requestId } = parseInput(z.object({ requestId: requestIdSchema }).strict(), rawInput, "endGroup");
  // Another caller's group is not this caller's to end.
  const finish = services.registry.get(requestId, scope) === undefined ? undefined : openGroups.get(requestId);
  finish?.();
  return { ended: finish !== undefined };
}
