import type { CancelResult } from "@rein/protocol";
import type { ClientRequest } from "../requests/client-request.ts";
import { quietly } from "../requests/decorated-promise.ts";

/**
 * A parent for several requests: pass it as `parent` to each. Cancelling the
 * group cancels all of them (and their children); its `timeoutMs` bounds
 * theirs; a child started after the group was cancelled ends cancelled at once.
 *
 * @example
 * ```ts
 * await using task = client.group({ timeoutMs: 10_000 });
 * const { vectors } = await client.embed({ modelId, text: query, parent: task });
 * const run = client.completion({ modelId, history, parent: task });
 * stopButton.onclick = () => task.cancel(); // stops whichever step is running
 * ```
 */
export class RequestGroup implements AsyncDisposable {
  readonly requestId: string;
  /** Settles when the group ended: resolves on `end()`, rejects when cancelled or timed out. */
  readonly done: Promise<void>;
  readonly #cancel: () => Promise<CancelResult>;
  readonly #end: () => Promise<void>;

  constructor(request: ClientRequest, cancel: () => Promise<CancelResult>, end: () => Promise<void>) {
    this.requestId = request.requestId;
    this.#cancel = cancel;
    this.#end = end;
    this.done = quietly(request.result.then(() => undefined));
  }

  /** Cancels the group and every request that names it as parent; counts them all. */
  cancel(): Promise<CancelResult> {
    return this.#cancel();
  }

  /** Ends the group normally. Children still running keep running. */
  async end(): Promise<void> {
    await this.#end();
    await this.done.catch(() => undefined);
  }

  /** `await using`: ends the group when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.end();
  }
}
