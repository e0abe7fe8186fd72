import { parseInput, toolResultsInputSchema, type ToolResultsInput } from "@rein/protocol";
import type { RegistryScope } from "../../registry/index.ts";
import type { WorkerServices } from "../../worker-services.ts";

export type ToolResultsAnswer = Extract<ToolResultsInput, { action: "continue" } | { action: "stop" }>;

/**
 * Where a completion that awaits tool results waits for them: the model turn
 * runs in the worker, the tools in the app, and the app answers with the
 * `completion.toolResults` control. One waiter per requestId; the wait ends
 * at once when the request's signal aborts (cancel by id, broad cancel,
 * parent, deadline), so a tool that never answers cannot hold the request.
 */
export class ToolResultsMailbox {
  readonly #waiting = new Map<string, (answer: ToolResultsAnswer) => void>();

  /** Resolves with the client's answer, or `"aborted"` as soon as `signal` aborts. */
  wait(requestId: string, signal: AbortSignal): Promise<ToolResultsAnswer | "aborted"> {
    if (signal.aborted) return Promise.resolve("aborted");
    return new Promise((resolve) => {
      const onAbort = () => finish("aborted");
      const finish = (answer: ToolResultsAnswer | "aborted") => {
        signal.removeEventListener("abort", onAbort);
        this.#waiting.delete(requestId);
        resolve(answer);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.set(requestId, finish);
    });
  }

  /** Hands an answer to the request waiting for it; `false` when none waits (finished, cancelled, unknown). */
  deliver(answer: ToolResultsAnswer): boolean {
    const waiter = this.#waiting.get(answer.requestId);
    if (!waiter) return false;
    waiter(answer);
    return true;
  }

  get size(): number {
    return this.#waiting.size;
  }
}

/** The one mailbox of this worker process. */
export const toolResultsMailbox = new ToolResultsMailbox();

/** The `completion.toolResults` control: quick, not a request, answered `{ delivered }`. */
export async function deliverToolResults(rawInput: unknown, services: WorkerServices, scope: RegistryScope): Promise<{ delivered: boolean }> {
  const answer = parseInput(toolResultsInputSchema, rawInput, "completion.toolResults");
  // Another caller's run is not this caller's to steer.
  if (services.registry.get(answer.requestId, scope) === undefined) return { delivered: false };
  return { delivered: toolResultsMailbox.deliver(answer) };
}
