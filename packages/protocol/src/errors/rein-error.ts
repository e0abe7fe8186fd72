import { ErrorCode } from "./error-codes.ts";

/**
 * A brand on every Rein error. `instanceof` fails when two copies of this
 * package are loaded (bundlers, nested node_modules); the brand does not.
 */
const REIN_ERROR_BRAND = Symbol.for("@rein/error");

/** A Rein error class as a value: its constructor and its static code. */
export type ReinErrorClass<T extends ReinError> = (abstract new (...args: never[]) => T) & { readonly code: number };

export interface ReinErrorOptions {
  message?: string;
  cause?: unknown;
}

/**
 * Base class of every Rein error. Carries a numeric `code` from the error table
 * and typed fields that survive the worker/client boundary.
 *
 * @example
 * ```ts
 * try { await run.text } catch (error) {
 *   if (InferenceCancelledError.isInstance(error)) console.log(error.partial.text);
 * }
 * ```
 */
export class ReinError extends Error {
  static readonly code: number = ErrorCode.Generic;
  override name = "ReinError";
  readonly code: number;

  constructor(message: string, options: { code?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? (new.target as typeof ReinError).code;
    Object.defineProperty(this, REIN_ERROR_BRAND, { value: true, enumerable: false });
  }

  /** The typed fields of this error as plain JSON data, for the wire. */
  toFields(): Record<string, unknown> {
    return {};
  }

  /**
   * True for instances of this class, including instances created by another
   * copy of `@rein/protocol` (matched by brand and code).
   */
  static isInstance<T extends ReinError>(this: ReinErrorClass<T>, value: unknown): value is T {
    if (value instanceof this) return true;
    if (typeof value !== "object" || value === null) return false;
    if ((value as Record<symbol, unknown>)[REIN_ERROR_BRAND] !== true) return false;
    return this.code === ErrorCode.Generic || (value as { code?: unknown }).code === this.code;
  }
}
