import { z } from "zod";
import { lazySchema } from "./schemas/lazy-schema.ts";
import { REQUEST_KINDS } from "./request-kinds.ts";
import { requestIdSchema, timeoutMsSchema } from "./schemas/common.ts";
import { workspaceNameSchema } from "./schemas/rag-schemas.ts";
import type { ProgressEvent, SerializedErrorData } from "./events.ts";
import type { RequestState, RequestKind } from "./request-kinds.ts";
import type { CancelReason } from "./errors/error-classes.ts";
import type { ConcurrencyPolicy } from "./concurrency-policy.ts";

const concurrencyPolicySchema = lazySchema(() =>
  z
    .object({
      maxConcurrentPerModel: z.number().min(0, "must not be negative").optional(),
      onOverflow: z.enum(["queue", "reject"]).optional(),
      maxQueueDepth: z.number().int("must be a whole number").min(0, "must not be negative").optional(),
      queueTimeoutMs: z.number().optional(),
    })
    .strict(),
);

/** Most threads a worker accepts as `defaultThreads`; far beyond any machine, but not a typo like 1e9. */
export const MAX_DEFAULT_THREADS = 1024;

/**
 * The worker's settings as the handshake carries them. Validated in full
 * before any of it is applied, so that a bad field changes nothing.
 */
export const workerConfigSchema = lazySchema(() =>
  z
    .object({
      policies: z.partialRecord(z.enum(REQUEST_KINDS), concurrencyPolicySchema.optional()).optional(),
      defaultThreads: z.number().int("must be a whole number").min(1, "must be at least 1").max(MAX_DEFAULT_THREADS, `must be at most ${MAX_DEFAULT_THREADS}`).optional(),
      cacheDir: z
        .string()
        .min(1, "must not be empty")
        .max(4096, "is longer than 4096 characters")
        .refine((value) => !value.includes("\0"), "must not contain NUL")
        .optional(),
      opModules: z.array(z.string().min(1, "must not be empty").max(4096, "is longer than 4096 characters")).max(64, "lists more than 64 modules").optional(),
      forwardLogs: z.boolean().optional(),
    })
    .strict(),
);

/** Read first: a worker must be able to refuse another protocol version whatever the rest looks like. */
export const handshakeVersionSchema = lazySchema(() => z.looseObject({ protocolVersion: z.number().int() }));

export const handshakeMessageSchema = lazySchema(() => z.object({ protocolVersion: z.number().int(), config: workerConfigSchema.optional() }).strict());

export interface HandshakeReply {
  protocolVersion: number;
  serverVersion: string;
  pid: number;
  engine: { name: "node-llama-cpp"; version: string };
}

/** Starts one operation. The client made `requestId`; `timeoutMs` is what remained of its deadline when sent. */
export const callMessageSchema = lazySchema(() =>
  z
    .object({
      op: z.string().min(1).max(128),
      requestId: requestIdSchema,
      input: z.unknown(),
      parentRequestId: requestIdSchema.optional(),
      timeoutMs: timeoutMsSchema.optional(),
    })
    .strict(),
);

export type CallMessage = z.infer<typeof callMessageSchema>;

export type CallReply = { ok: true; value: unknown } | { ok: false; error: SerializedErrorData };

/**
 * A streamed frame of a running call, routed on the client by `requestId`.
 * `chunk` carries an op's streamed output (for completion: a `CompletionEvent`).
 */
export type Frame = { type: "chunk"; value: unknown } | { type: "progress"; progress: ProgressEvent };

export interface FrameMessage {
  requestId: string;
  frame: Frame;
}

/** A registry lifecycle line forwarded to the client's logger. */
export interface LogMessage {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  data?: Record<string, unknown>;
}

/** The last message on a channel before its sender closes it (`Event.goodbye`). */
export interface GoodbyeMessage {
  /** What happened, for the error the other side's pending calls get. */
  reason: string;
  /** True when the sender's own state is broken (it exits), false when the peer broke the protocol. */
  fatal: boolean;
}

export const cancelMessageSchema = lazySchema(() =>
  z
    .object({
      target: z.union([
        z.object({ operation: z.literal("request"), requestId: requestIdSchema, clearCache: z.boolean().optional() }).strict(),
        z.object({ operation: z.literal("broad"), modelId: z.string().min(1), kind: z.enum(REQUEST_KINDS).optional() }).strict(),
        z.object({ operation: z.literal("rag"), workspace: workspaceNameSchema }).strict(),
        z.object({ operation: z.literal("all") }).strict(),
      ]),
      reason: z
        .enum(["user", "abortSignal", "parentCancelled", "modelUnloaded", "shutdown", "clientDisconnected"])
        .optional(),
    })
    .strict(),
);

export type CancelMessage = z.infer<typeof cancelMessageSchema>;

export interface RequestSnapshot {
  requestId: string;
  kind: RequestKind;
  modelId: string | null;
  state: RequestState;
  parentRequestId: string | null;
  cancelReason: CancelReason | "timeout" | null;
  /** Soft-cancelled work whose native part still runs; it holds its model slot until it ends. */
  draining: boolean;
  /** Milliseconds since the request began (queue wait included). */
  ageMs: number;
  /** 1 for the next request to get a slot on its model; null unless queued. */
  queuePosition: number | null;
  /** The RAG workspace the request works on (present only for those). */
  workspace?: string;
}

export interface WorkerSnapshot {
  pid: number;
  requests: RequestSnapshot[];
  queued: number;
  rememberedCancels: number;
  models: { modelId: string; modelSrc: string; references: number; parallel: number; threads: number }[];
  /** Monotonic counters since the worker started. */
  counters: { callsReceived: number; begun: number; ended: number; cancelsReceived: number; framesRefused: number };
  /** Work counters of the ops (e.g. `embed.textsEmbedded`), for diagnostics and tests. */
  metrics: Record<string, number>;
  memory: { rss: number; heapUsed: number };
}

/**
 * Answer of the `workerStatus` control: how many requests run and wait, over every caller, in all and per
 * loaded model. Counts only, so any connection may ask.
 */
export interface WorkerStatus {
  running: number;
  queued: number;
  models: Record<string, { running: number; queued: number }>;
}

/** Settings the client sends in the handshake; the worker applies them before its first call. */
export interface WorkerConfig {
  /** Concurrency policy per request kind, merged over the worker's defaults. */
  policies?: Partial<Record<RequestKind, ConcurrencyPolicy>>;
  /** Threads for models whose config names none. */
  defaultThreads?: number;
  /** Directory for downloads; default `REIN_CACHE_DIR`, else the per-user cache directory (see `defaultCacheDir`). */
  cacheDir?: string;
  /** Modules (absolute paths or file URLs) whose exported op definitions the worker registers. */
  opModules?: string[];
  /** Forward registry lifecycle lines to the client (only when the client has a logger). */
  forwardLogs?: boolean;
}

export interface HandshakeMessage {
  protocolVersion: number;
  config?: WorkerConfig;
}
