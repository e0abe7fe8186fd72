import type { CallMessage } from "../wire.ts";
import type { CompletionInput } from "./completion-schemas.ts";
import { UUID_V4 } from "./common.ts";

/** Mirrors completionInputSchema's bounds; a value outside any of them goes to zod, which names the field. */
const MAX_MODEL_ID = 256;
const MAX_HISTORY = 10_000;
const MAX_CONTENT = 4_000_000;
const MAX_TOKENS = 1 << 20;
const MAX_SEED = 2 ** 32 - 1;
const MAX_STOP_SEQUENCES = 16;
const MAX_STOP_SEQUENCE = 256;
const MAX_OP_NAME = 128;
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

const PLAIN_KEYS: ReadonlySet<string> = new Set(["modelId", "history", "stream", "maxTokens", "temperature", "topP", "topK", "seed", "stopSequences", "awaitToolResults", "includeThinking"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isOptionalNumber(value: unknown, test: (value: number) => boolean): boolean {
  return value === undefined || (typeof value === "number" && test(value));
}

function isOptionalBoolean(value: unknown): boolean {
  return value === undefined || typeof value === "boolean";
}

/** A system, user or assistant turn of text alone: the turns a chat without tools is made of. */
function textMessage(value: unknown): { role: "system" | "user" | "assistant"; content: string } | undefined {
  if (!isPlainObject(value)) return undefined;
  const { role, content } = value;
  if (role !== "system" && role !== "user" && role !== "assistant") return undefined;
  if (typeof content !== "string" || content.length > MAX_CONTENT) return undefined;
  let keys = 0;
  for (const key in value) if (Object.hasOwn(value, key)) keys += 1;
  return keys === 2 ? { role, content } : undefined;
}

/**
 * A completion input without tools, tool turns or a response format (a plain chat: the common call on the
 * latency path), checked by hand; undefined for anything else, which then goes to `completionInputSchema`
 * (and its errors name the field). What it returns equals what the schema returns for the same input, and it
 * accepts nothing the schema refuses. Why: zod's parse of this schema costs 0.1-0.4 ms per call on a loaded
 * 2-core machine, on both sides of the pipe, inside the time to first token issue 17 bounds at +1 ms.
 *
 * @example
 * ```ts
 * const input = plainCompletionInput(payload) ?? parseInput(completionInputSchema, payload, "completion");
 * ```
 */
export function plainCompletionInput(input: unknown): CompletionInput | undefined {
  if (!isPlainObject(input)) return undefined;
  for (const key in input) if (Object.hasOwn(input, key) && !PLAIN_KEYS.has(key)) return undefined;
  const { modelId, history, stream, maxTokens, temperature, topP, topK, seed, stopSequences, awaitToolResults, includeThinking } = input;
  if (typeof modelId !== "string" || modelId.length < 1 || modelId.length > MAX_MODEL_ID) return undefined;
  if (!Array.isArray(history) || history.length < 1 || history.length > MAX_HISTORY) return undefined;
  const messages: CompletionInput["history"] = [];
  for (const item of history) {
    const message = textMessage(item);
    if (message === undefined) return undefined;
    messages.push(message);
  }
  if (!isOptionalBoolean(stream) || !isOptionalBoolean(awaitToolResults) || !isOptionalBoolean(includeThinking)) return undefined;
  if (!isOptionalNumber(maxTokens, (value) => Number.isInteger(value) && value >= 1 && value <= MAX_TOKENS)) return undefined;
  if (!isOptionalNumber(temperature, (value) => value >= 0 && value <= 10)) return undefined;
  if (!isOptionalNumber(topP, (value) => value > 0 && value <= 1)) return undefined;
  if (!isOptionalNumber(topK, (value) => Number.isInteger(value) && value >= 0 && value <= 100_000)) return undefined;
  if (!isOptionalNumber(seed, (value) => Number.isInteger(value) && value >= 0 && value <= MAX_SEED)) return undefined;
  let stops: string[] | undefined;
  if (stopSequences !== undefined) {
    if (!Array.isArray(stopSequences) || stopSequences.length > MAX_STOP_SEQUENCES) return undefined;
    stops = [];
    for (const stop of stopSequences) {
      if (typeof stop !== "string" || stop.length < 1 || stop.length > MAX_STOP_SEQUENCE) return undefined;
      stops.push(stop);
    }
  }
  const parsed: CompletionInput = { modelId, history: messages };
  if (stream !== undefined) parsed.stream = stream as boolean;
  if (maxTokens !== undefined) parsed.maxTokens = maxTokens as number;
  if (temperature !== undefined) parsed.temperature = temperature as number;
  if (topP !== undefined) parsed.topP = topP as number;
  if (topK !== undefined) parsed.topK = topK as number;
  if (seed !== undefined) parsed.seed = seed as number;
  if (stops !== undefined) parsed.stopSequences = stops;
  if (awaitToolResults !== undefined) parsed.awaitToolResults = awaitToolResults as boolean;
  if (includeThinking !== undefined) parsed.includeThinking = includeThinking as boolean;
  return parsed;
}

/**
 * The worker's `call` message `{ op, requestId, input, parentRequestId?, timeoutMs? }` checked by hand; undefined
 * for anything else (a missing `input` included), which goes to `callMessageSchema` and its errors. The result
 * equals what the schema returns. Why: see {@link plainCompletionInput}; every call pays this parse.
 *
 * @example
 * ```ts
 * const message = callMessageFast(payload) ?? parseInput(callMessageSchema, payload, "call");
 * ```
 */
export function callMessageFast(payload: unknown): CallMessage | undefined {
  if (!isPlainObject(payload)) return undefined;
  let keys = 0;
  for (const key in payload) {
    if (!Object.hasOwn(payload, key)) continue;
    if (key !== "op" && key !== "requestId" && key !== "input" && key !== "parentRequestId" && key !== "timeoutMs") return undefined;
    keys += 1;
  }
  const { op, requestId, input, parentRequestId, timeoutMs } = payload;
  if (!Object.hasOwn(payload, "input")) return undefined;
  if (typeof op !== "string" || op.length < 1 || op.length > MAX_OP_NAME) return undefined;
  if (typeof requestId !== "string" || !UUID_V4.test(requestId)) return undefined;
  if (parentRequestId !== undefined && (typeof parentRequestId !== "string" || !UUID_V4.test(parentRequestId))) return undefined;
  if (!isOptionalNumber(timeoutMs, (value) => Number.isInteger(value) && value > 0 && value <= MAX_TIMEOUT_MS)) return undefined;
  const message: CallMessage = { op, requestId, input };
  if (parentRequestId !== undefined) message.parentRequestId = parentRequestId;
  if (timeoutMs !== undefined) message.timeoutMs = timeoutMs as number;
  return keys > 0 ? message : undefined;
}
