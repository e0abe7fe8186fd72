import type { RequestEntry } from "./request-entry.ts";

/**
 * Parent/child links between live requests. Links exist only while both ends
 * are live (removed when either ends), so a long-lived parent that spawns many
 * short children does not accumulate them; `linkCount` lets tests prove it.
 *
 * @example
 * ```ts
 * family.link(parentEntry, childEntry);
 * const orphans = family.detach(parentEntry); // the parent ended
 * ```
 */
export class RequestFamily {
  #links = 0;

  /** Live parent-to-child links. */
  get linkCount(): number {
    return this.#links;
  }

  /** Makes `child` a child of `parent`. */
  link(parent: RequestEntry, child: RequestEntry): void {
    child.parent = parent;
    (parent.children ??= new Set()).add(child);
    this.#links += 1;
  }

  /**
   * Cuts `entry` out of the tree (from its parent and from its children) and
   * returns its former children.
   *
   * @example
   * ```ts
   * for (const child of family.detach(rejectedParent)) cancelTree(child, "parentCancelled");
   * ```
   */
  detach(entry: RequestEntry): RequestEntry[] {
    if (entry.parent?.children?.delete(entry) === true) this.#links -= 1;
    entry.parent = null;
    const children = entry.children === null ? [] : Array.from(entry.children);
    for (const child of children) child.parent = null;
    this.#links -= children.length;
    entry.children = null;
    return children;
  }
}

/**
 * The absolute deadline of a request: `startedAt + timeoutMs` (non-finite
 * timeouts mean none, negative ones mean now), never later than the parent's.
 *
 * @example
 * ```ts
 * deadlineWithin(1_000, 500, 1_200);  // 1_200
 * deadlineWithin(1_000, undefined, null); // null
 * ```
 */
export function deadlineWithin(startedAt: number, timeoutMs: number | undefined, parentDeadline: number | null): number | null {
  const own = typeof timeoutMs === "number" && Number.isFinite(timeoutMs) ? startedAt + Math.max(0, timeoutMs) : null;
  if (own === null) return parentDeadline;
  return parentDeadline === null ? own : Math.min(own, parentDeadline);
}
