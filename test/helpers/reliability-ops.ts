/**
 * Custom ops the reliability tests load into a real worker with
 * `createClient({ opModules: [RELIABILITY_OPS_MODULE] })` (the path lives in
 * reliability-support.ts so that tests need not import the server): handlers
 * that throw every kind of value, a request that holds until cancelled, and
 * ways to kill the worker or write raw bytes onto its RPC pipe from inside.
 */
import { writeSync } from "node:fs";
import { ModelNotLoadedError } from "@rein/protocol";
import { defineOp } from "@rein/server";
import { z } from "zod";

export const THROW_KINDS = ["TypeError", "RangeError", "ReferenceError", "string", "null", "undefined", "object", "reinError", "sync", "rejectLater"] as const;
export type ThrowKind = (typeof THROW_KINDS)[number];

function thrown(kind: ThrowKind): unknown {
  switch (kind) {
    case "TypeError":
      return new TypeError("handler tripped over undefined");
    case "RangeError":
      return new RangeError("index out of range");
    case "ReferenceError":
      return new ReferenceError("missingVariable is not defined");
    case "string":
      return "a bare string";
    case "null":
      return null;
    case "undefined":
      return undefined;
    case "object":
      return { not: "an error" };
    case "reinError":
      return new ModelNotLoadedError({ modelId: "thrown-by-op" });
    default:
      return new Error(`thrown (${kind})`);
  }
}

/** Throws the value named by `kind`; `sync` throws before any await, `rejectLater` after a macrotask. */
export const throwingOp = defineOp({
  name: "reliability.throw",
  kind: "custom",
  input: z.object({ kind: z.enum(THROW_KINDS) }).strict(),
  model: "none",
  cancel: "hard",
  run(_context, input): Promise<string> {
    if (input.kind === "sync") throw new TypeError("thrown synchronously before any promise existed");
    if (input.kind === "rejectLater") {
      return new Promise((_, reject) => setTimeout(() => reject(new RangeError("rejected a macrotask later")), 1));
    }
    return Promise.reject(thrown(input.kind));
  },
});

/** Echoes its input: proof that the worker still serves after a fault. */
export const echoOp = defineOp({
  name: "reliability.echo",
  kind: "custom",
  input: z.object({ value: z.unknown() }).strict(),
  model: "none",
  cancel: "hard",
  async run(_context, input) {
    return input.value;
  },
});

/**
 * Emits one chunk (unless `quiet`: raw-write tests need a pipe with no frame in
 * flight), then holds until cancelled: a request surely running when a test acts.
 */
export const holdOp = defineOp({
  name: "reliability.hold",
  kind: "custom",
  input: z.object({ modelId: z.string().optional(), quiet: z.boolean().optional() }).strict(),
  model: "none",
  cancel: "hard",
  admission: (input) => (input.modelId ? { modelId: input.modelId } : {}),
  async run(context, input) {
    if (!input.quiet) context.emit("holding");
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      else context.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    context.signal.throwIfAborted();
    return "released";
  },
});

/**
 * Ends the worker process the way a bug would: `process.exit(code)`, `process.abort()` (a native crash,
 * SIGABRT), or an exception / rejection nobody catches, thrown from a callback outside the op.
 */
export const exitOp = defineOp({
  name: "reliability.exit",
  kind: "custom",
  input: z.object({ how: z.enum(["exit", "abort", "uncaughtException", "unhandledRejection"]), code: z.number().int().min(0).max(255).optional() }).strict(),
  model: "none",
  cancel: "hard",
  async run(_context, input) {
    if (input.how === "abort") process.abort();
    if (input.how === "uncaughtException" || input.how === "unhandledRejection") {
      setTimeout(() => {
        const error = new RangeError(`a stray ${input.how} from a timer callback`);
        if (input.how === "uncaughtException") throw error;
        void Promise.reject(error);
      }, 1);
      return new Promise<never>(() => undefined);
    }
    process.exit(input.code ?? 1);
  },
});

/**
 * Writes bytes straight onto the worker's RPC pipe (fd 3), bypassing bare-rpc:
 * corrupt or truncated frames as the client receives them. `thenExit` makes the
 * worker die right after, like a process that crashed in the middle of a write.
 */
export const writeRawOp = defineOp({
  name: "reliability.writeRaw",
  kind: "custom",
  // `notifyUrl`: fetched after the write, a side channel for tests whose RPC pipe is now unreadable.
  input: z.object({ hex: z.string(), thenExit: z.boolean().optional(), notifyUrl: z.string().url().optional() }).strict(),
  model: "none",
  cancel: "hard",
  async run(_context, input) {
    await writeAll(Buffer.from(input.hex, "hex"));
    if (input.thenExit) process.exit(7);
    if (input.notifyUrl) await fetch(input.notifyUrl).then((response) => response.arrayBuffer()).catch(() => undefined);
    return "written";
  },
});

/** fd 3 is non-blocking: a write larger than the pipe's buffer stops part-way with EAGAIN, so go on where it stopped. */
async function writeAll(bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(3, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

/** Returns a value larger than the 16 MiB payload limit. */
export const hugeResultOp = defineOp({
  name: "reliability.hugeResult",
  kind: "custom",
  input: z.object({ megabytes: z.number().int().min(1).max(64) }).strict(),
  model: "none",
  cancel: "hard",
  async run(_context, input) {
    return "x".repeat(input.megabytes * 1024 * 1024);
  },
});

/**
 * Native work that never ends and cannot be interrupted (a `soft` op whose run
 * never returns): cancel answers the caller, but the request keeps draining.
 */
export const stubbornOp = defineOp({
  name: "reliability.stubborn",
  kind: "custom",
  input: z.object({}).strict(),
  model: "none",
  cancel: "soft",
  run(): Promise<never> {
    return new Promise<never>(() => undefined);
  },
});

/** The worker's own active handles and timers by type (`process.getActiveResourcesInfo()`), for leak checks. */
export const resourcesOp = defineOp({
  name: "reliability.resources",
  kind: "custom",
  input: z.object({}).strict(),
  model: "none",
  cancel: "hard",
  async run(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
    return counts;
  },
});
