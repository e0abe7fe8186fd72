/**
 * Finds where in `value` JSON serialisation fails (a BigInt, a circular
 * reference, a `toJSON` that throws or returns one of those), walking the
 * value the way `JSON.stringify` does. Used only after a serialisation
 * failure, so the common path pays nothing for it.
 *
 * @example
 * ```ts
 * unserializableField({ history: [{ role: "user", content: "hi", toJSON: () => 1n }] });
 * // { field: "history.0", reason: "is a BigInt (via toJSON), which JSON cannot carry" }
 * ```
 */
export function unserializableField(value: unknown): { field: string; reason: string } | undefined {
  const ancestors = new Set<object>();
  const visit = (current: unknown, path: string[], key: string): { field: string; reason: string } | undefined => {
    const field = path.join(".");
    let viaToJson = false;
    try {
      const toJSON = typeof current === "object" && current !== null ? (current as { toJSON?: unknown }).toJSON : undefined;
      if (typeof toJSON === "function") {
        current = toJSON.call(current, key);
        viaToJson = true;
      }
    } catch (error) {
      return { field, reason: `cannot be serialised: its toJSON() threw (${describe(error)})` };
    }
    const via = viaToJson ? " (via toJSON)" : "";
    if (typeof current === "bigint") return { field, reason: `is a BigInt${via}, which JSON cannot carry` };
    if (typeof current !== "object" || current === null) return undefined;
    if (ancestors.has(current)) return { field, reason: `is a circular reference${via}` };
    ancestors.add(current);
    try {
      let entries: [string, unknown][];
      try {
        entries = Object.entries(current);
      } catch (error) {
        return { field, reason: `cannot be read for serialisation (${describe(error)})` };
      }
      for (const [childKey, child] of entries) {
        const found = visit(child, [...path, childKey], childKey);
        if (found) return found;
      }
      return undefined;
    } finally {
      ancestors.delete(current);
    }
  };
  return visit(value, [], "");
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return "an unprintable value";
  }
}
