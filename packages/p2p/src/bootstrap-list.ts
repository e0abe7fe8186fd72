import { InvalidInputError } from "@rein/protocol";

/**
 * Checks a bootstrap list (`host:port` entries, as hyperdht takes them).
 * `undefined` means hyperdht's public bootstrap nodes: the product default,
 * never what a test or a bench may use.
 *
 * @example
 * ```ts
 * checkBootstrap(["127.0.0.1:49737"], "servePeer"); // ["127.0.0.1:49737"]
 * ```
 */
export function checkBootstrap(bootstrap: unknown, operation: string): string[] | undefined {
  if (bootstrap === undefined) return undefined;
  if (!Array.isArray(bootstrap) || bootstrap.length === 0) {
    throw new InvalidInputError({ field: "bootstrap", reason: "must be a non-empty array of host:port strings (leave it out for the public bootstrap nodes)", operation });
  }
  return bootstrap.map((entry, index) => {
    if (typeof entry !== "string" || !/^[^\s:]+:\d{1,5}$/.test(entry) || Number(entry.split(":")[1]) > 65_535) {
      throw new InvalidInputError({ field: `bootstrap.${index}`, reason: "must be host:port, e.g. 127.0.0.1:49737", operation });
    }
    return entry;
  });
}
