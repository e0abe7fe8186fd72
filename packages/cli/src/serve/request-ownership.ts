/**
 * Which key started which request, kept at the HTTP layer because today's
 * backend client is shared by every caller: a key may see and cancel only its
 * own requests (the admin key all of them). An entry lives exactly as long as
 * its request: `track` returns the function that removes it when it settles.
 */
import type { RequestKind } from "@rein/sdk";
import type { Caller } from "./serve-backend.ts";

export interface OwnedRequest {
  requestId: string;
  keyId: string;
  kind: RequestKind;
  /** The served model's name (what the client put in `model`). */
  modelName: string;
  /** Epoch ms when the HTTP request arrived. */
  startedAt: number;
}

export class RequestOwnership {
  readonly #requests = new Map<string, OwnedRequest>();

  /**
   * Records a request; call the returned function once it settled.
   *
   * @example
   * ```ts
   * const release = ownership.track({ requestId, keyId: caller.keyId, kind: "completion", modelName, startedAt: Date.now() });
   * run.final.finally(release);
   * ```
   */
  track(request: OwnedRequest): () => void {
    this.#requests.set(request.requestId, request);
    return () => {
      if (this.#requests.get(request.requestId) === request) this.#requests.delete(request.requestId);
    };
  }

  get(requestId: string): OwnedRequest | undefined {
    return this.#requests.get(requestId);
  }

  /** Whether `caller` may see and cancel `requestId` (an unknown id: only the admin, for requests of other transports). */
  mayTouch(caller: Caller, requestId: string): boolean {
    if (caller.admin) return true;
    return this.#requests.get(requestId)?.keyId === caller.keyId;
  }

  /** The requests of one key (every request for the admin), optionally on one model. */
  ownedBy(caller: Caller, modelName?: string): OwnedRequest[] {
    return [...this.#requests.values()].filter(
      (request) => (caller.admin || request.keyId === caller.keyId) && (modelName === undefined || request.modelName === modelName),
    );
  }

  get size(): number {
    return this.#requests.size;
  }
}
