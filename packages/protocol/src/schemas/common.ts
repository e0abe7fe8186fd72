import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";

/** A UUIDv4, any case: what a requestId must be. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export const requestIdSchema = lazySchema(() => z.string().regex(UUID_V4, "must be a UUIDv4 request id"));

export const modelIdSchema = lazySchema(() => z.string().min(1, "must not be empty").max(256, "is longer than 256 characters"));

/** Milliseconds, capped at 24 h: a larger value is far more likely a unit mistake than a real deadline. */
export const timeoutMsSchema = lazySchema(() =>
  z
    .number()
    .int("must be a whole number of milliseconds")
    .positive("must be greater than 0")
    .max(24 * 60 * 60 * 1000, "must be at most 24 hours (86400000 ms)"),
);

/** An http(s) URL; other schemes (file:, ftp:, data:, javascript:) are refused by name. */
export const httpUrlSchema = lazySchema(() =>
  z.string().superRefine((value, context) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      context.addIssue({ code: "custom", message: "is not a valid URL" });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      context.addIssue({ code: "custom", message: `uses the unsupported scheme "${url.protocol}" (only http: and https:)` });
    }
  }),
);

export const sha256Schema = lazySchema(() => z.string().regex(/^[0-9a-f]{64}$/i, "must be 64 hex characters (a sha256 digest)"));

/** A plain file name inside a cache directory: no separators, no `..`, no NUL. */
export const fileNameSchema = lazySchema(() =>
  z
    .string()
    .min(1, "must not be empty")
    .max(200, "is longer than 200 characters")
    .refine((value) => !/[\\/\0]/.test(value) && value !== "." && value !== "..", {
      message: "must be a plain file name without path separators, '..' or NUL",
    }),
);
