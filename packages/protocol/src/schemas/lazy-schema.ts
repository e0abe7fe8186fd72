import { z } from "zod";

/**
 * A schema built on its first use rather than when its module loads. zod 4 builds a schema eagerly, and each of
 * its instances binds its ~60 methods: the ~50 schemas of this package (~600 instances) took 30-40 ms of every
 * worker start on a 2-core machine (cold-start bench, worker CPU profile), while a handshake needs two of them and
 * most of the rest wait for the first call of their op. A lazy schema validates exactly as the schema it builds
 * (`z.lazy` adds no path segment and forwards `optin`/`optout`/`propValues`, so it also works as an optional field
 * or a discriminated-union member), and builds it once.
 *
 * @example
 * ```ts
 * export const modelIdSchema = lazySchema(() => z.string().min(1, "must not be empty"));
 * modelIdSchema.safeParse("m1").success; // true: built now, on first use
 * ```
 */
export function lazySchema<T extends z.ZodType>(build: () => T): z.ZodLazy<T> {
  return z.lazy(build);
}
