import type { ConcurrencyPolicy } from "../concurrency-policy.ts";
import { REQUEST_KINDS, type RequestKind } from "../request-kinds.ts";
import type { HandshakeMessage, WorkerConfig } from "../wire.ts";

/** Mirrors workerConfigSchema's bounds; a value outside any of them goes to zod, which names the field. */
const MAX_DEFAULT_THREADS = 1024;
const MAX_PATH = 4096;
const MAX_OP_MODULES = 64;

const KINDS: ReadonlySet<string> = new Set<RequestKind>(REQUEST_KINDS);
const CONFIG_KEYS: ReadonlySet<string> = new Set(["policies", "defaultThreads", "cacheDir", "opModules", "forwardLogs"]);
const POLICY_KEYS: ReadonlySet<string> = new Set(["maxConcurrentPerModel", "onOverflow", "maxQueueDepth", "queueTimeoutMs"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function ownKeys(value: Record<string, unknown>): string[] {
  const keys: string[] = [];
  for (const key in value) if (Object.hasOwn(value, key)) keys.push(key);
  return keys;
}

function isPath(value: unknown): value is string {
  return typeof value === "string" && value.length >= 1 && value.length <= MAX_PATH;
}

function policyOf(value: unknown): ConcurrencyPolicy | undefined {
  if (!isPlainObject(value) || ownKeys(value).some((key) => !POLICY_KEYS.has(key))) return undefined;
  const { maxConcurrentPerModel, onOverflow, maxQueueDepth, queueTimeoutMs } = value;
  if (maxConcurrentPerModel !== undefined && !(typeof maxConcurrentPerModel === "number" && Number.isFinite(maxConcurrentPerModel) && maxConcurrentPerModel >= 0)) return undefined;
  if (onOverflow !== undefined && onOverflow !== "queue" && onOverflow !== "reject") return undefined;
  if (maxQueueDepth !== undefined && !(typeof maxQueueDepth === "number" && Number.isSafeInteger(maxQueueDepth) && maxQueueDepth >= 0)) return undefined;
  if (queueTimeoutMs !== undefined && !(typeof queueTimeoutMs === "number" && Number.isFinite(queueTimeoutMs))) return undefined;
  // The schema's key order, as zod's output has it.
  const policy: ConcurrencyPolicy = {};
  if (maxConcurrentPerModel !== undefined) policy.maxConcurrentPerModel = maxConcurrentPerModel;
  if (onOverflow !== undefined) policy.onOverflow = onOverflow;
  if (maxQueueDepth !== undefined) policy.maxQueueDepth = maxQueueDepth;
  if (queueTimeoutMs !== undefined) policy.queueTimeoutMs = queueTimeoutMs;
  return policy;
}

function configOf(value: unknown): WorkerConfig | undefined {
  if (!isPlainObject(value) || ownKeys(value).some((key) => !CONFIG_KEYS.has(key))) return undefined;
  const { policies, defaultThreads, cacheDir, opModules, forwardLogs } = value;
  const config: WorkerConfig = {};
  if (policies !== undefined) {
    if (!isPlainObject(policies)) return undefined;
    const checked: NonNullable<WorkerConfig["policies"]> = {};
    for (const kind of ownKeys(policies)) {
      const policy = KINDS.has(kind) ? policyOf(policies[kind]) : undefined;
      if (policy === undefined) return undefined;
      checked[kind as RequestKind] = policy;
    }
    config.policies = checked;
  }
  if (defaultThreads !== undefined) {
    if (!(typeof defaultThreads === "number" && Number.isSafeInteger(defaultThreads) && defaultThreads >= 1 && defaultThreads <= MAX_DEFAULT_THREADS)) return undefined;
    config.defaultThreads = defaultThreads;
  }
  if (cacheDir !== undefined) {
    if (!isPath(cacheDir) || cacheDir.includes("\0")) return undefined;
    config.cacheDir = cacheDir;
  }
  if (opModules !== undefined) {
    if (!Array.isArray(opModules) || opModules.length > MAX_OP_MODULES || !opModules.every(isPath)) return undefined;
    config.opModules = [...opModules];
  }
  if (forwardLogs !== undefined) {
    if (typeof forwardLogs !== "boolean") return undefined;
    config.forwardLogs = forwardLogs;
  }
  return config;
}

/**
 * The handshake `{ protocolVersion, config? }` checked by hand; undefined for anything else, which then goes to
 * `handshakeVersionSchema` and `handshakeMessageSchema` (and their errors name the field). What it returns equals
 * what `handshakeMessageSchema` returns, and it accepts nothing that schema refuses. Why: the handshake is the
 * first message a worker parses, and zod's first parse of it builds and compiles three object schemas: 10-20 ms
 * of a worker start on a 2-core machine, a start the cold-start bench holds to 150 ms.
 *
 * @example
 * ```ts
 * const message = handshakeFast(payload) ?? parseInput(handshakeMessageSchema, payload, "handshake");
 * ```
 */
export function handshakeFast(payload: unknown): HandshakeMessage | undefined {
  if (!isPlainObject(payload) || ownKeys(payload).some((key) => key !== "protocolVersion" && key !== "config")) return undefined;
  const { protocolVersion } = payload;
  if (!(typeof protocolVersion === "number" && Number.isSafeInteger(protocolVersion))) return undefined;
  if (payload.config === undefined) return { protocolVersion };
  const config = configOf(payload.config);
  return config === undefined ? undefined : { protocolVersion, config };
}
