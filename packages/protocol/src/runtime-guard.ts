import { AsyncDisposeUnavailableError } from "./errors/runtime-errors.ts";

/**
 * Throws `AsyncDisposeUnavailableError` unless `symbolValue` is a real symbol.
 *
 * On a runtime without `Symbol.asyncDispose`, a computed `[Symbol.asyncDispose]`
 * key silently becomes the string "undefined", so `await using` would never end a
 * request and the registry would leak entries and model slots. Failing at import
 * turns that silent leak into a clear startup error.
 *
 * The optional argument lets tests pass a missing value without mutating the
 * global `Symbol`; an explicit `undefined` is checked as given (a default
 * parameter would silently replace it with the runtime's symbol).
 *
 * @example
 * ```ts
 * assertAsyncDisposeAvailable();            // passes on Node >= 20.4
 * assertAsyncDisposeAvailable(undefined);   // throws AsyncDisposeUnavailableError
 * ```
 */
export function assertAsyncDisposeAvailable(...symbolValue: [unknown?]): void {
  const checked = symbolValue.length === 0 ? Symbol.asyncDispose : symbolValue[0];
  if (typeof checked !== "symbol") throw new AsyncDisposeUnavailableError();
}
