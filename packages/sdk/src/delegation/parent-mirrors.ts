import { Command } from "@rein/protocol";
import type { Route } from "../client/route.ts";
import { newRequestId } from "../requests/request-id.ts";

/**
 * Parents across workers. A request on one worker (a group, a completion on
 * a local model) may be the parent of a request on another (a completion on a
 * model delegated to a peer). The peer's registry cannot see the parent, so
 * the client opens a stand-in group under the parent's requestId on the peer,
 * bounded by the parent's remaining deadline, and names it as the child's
 * parent there. When the parent ends cancelled (by the app, by its deadline,
 * by a broad cancel inside its worker) the stand-in is cancelled, and the
 * peer's own registry cancels the children; when the parent ends normally
 * the stand-in ends too, and the children keep running, as they would on
 * one worker.
 *
 * @example
 * ```ts
 * mirrors.prepare(parentRequestId, peerRoute); // before launching the child on peerRoute
 * ```
 */
export class ParentMirrors {
  readonly #routes: () => Iterable<Route>;

  constructor(routes: () => Iterable<Route>) {
    this.#routes = routes;
  }

  /** Makes sure `parentRequestId` exists on `route` before a child is launched there. Synchronous. */
  prepare(parentRequestId: string | undefined, route: Route): void {
    if (parentRequestId === undefined || route.requests.get(parentRequestId) !== undefined) return;
    let original;
    for (const candidate of this.#routes()) {
      if (candidate !== route) original ??= candidate.requests.get(parentRequestId);
    }
    // A parent this client does not hold goes as it is: the worker links it if it knows it.
    if (original === undefined) return;
    const timeoutMs = original.deadline === null ? undefined : Math.max(1, Math.ceil(original.deadline - Date.now()));
    const standIn = route.requests.launch({ op: "group", kind: "custom", input: {}, requestId: parentRequestId, timeoutMs });
    original.result.then(
      () => void this.#end(route, parentRequestId),
      () => void this.#cancel(route, parentRequestId),
    );
    // The stand-in ending (its peer went away, its deadline) is nothing to report: the children say it.
    standIn.result.catch(() => undefined);
  }

  async #cancel(route: Route, requestId: string): Promise<void> {
    if (route.requests.cancelUnsent({ operation: "request", requestId }, "parentCancelled") > 0) return;
    const standIn = route.requests.get(requestId);
    if (standIn === undefined) return;
    await route.supervisor.live?.request(Command.cancel, { target: { operation: "request", requestId }, reason: "parentCancelled" }).catch(() => undefined);
  }

  async #end(route: Route, requestId: string): Promise<void> {
    const standIn = route.requests.get(requestId);
    if (standIn === undefined) return;
    // Not written yet: it never needs to be. Its children then reach the peer without a parent there, which is
    // what a parent that ended normally means for them anyway.
    if (standIn.state === "unsent") return standIn.resolve({ ended: true });
    await route.supervisor.live?.request(Command.call, { op: "endGroup", requestId: newRequestId(), input: { requestId } }).catch(() => undefined);
  }
}
