/** Why a completion stopped. */
export type StopReason = "eos" | "length" | "stopSequence" | "toolCalls" | "maxSteps" | "cancelled" | "timeout" | "error";

/** One call the model made; `arguments` conform to the tool's parameters grammar. */
export interface ToolCallData {
  id: string;
  name: string;
  arguments: unknown;
}

/** Why a tool call produced no result; the model reads the message, the app gets the reason. */
export type ToolErrorReason = "unknownTool" | "invalidArguments" | "executeFailed" | "unserializableResult";

/** Numbers a completion reports about itself. Times are milliseconds. */
export interface CompletionStats {
  promptTokens: number;
  /** Prompt tokens actually evaluated (less than `promptTokens` when a cancel landed during prefill or a prefix was reused). */
  evaluatedPromptTokens: number;
  generatedTokens: number;
  timeToFirstTokenMs: number | null;
  durationMs: number;
  tokensPerSecond: number | null;
}

/** Output a request produced before it was cancelled or timed out. */
export interface PartialOutput {
  text?: string;
  /** Calls the model completed before the stop (every step of a tool loop). */
  toolCalls?: ToolCallData[];
  thinkingText?: string;
  stats?: CompletionStats;
}

export interface SerializedErrorData {
  code: number;
  message: string;
  fields: Record<string, unknown>;
  stack?: string;
  name?: string;
}

export type CompletionEvent =
  | { type: "contentDelta"; seq: number; text: string }
  | { type: "thinkingDelta"; seq: number; text: string }
  /** `parsedAt`: epoch ms (`performance.timeOrigin + performance.now()` in the worker) when the call was parsed, for latency metrics. */
  | { type: "toolCall"; seq: number; call: ToolCallData; parsedAt?: number }
  | { type: "toolResult"; seq: number; id: string; result: unknown }
  | { type: "toolError"; seq: number; id: string; error: { reason: ToolErrorReason; message: string } }
  | { type: "completionStats"; seq: number; stats: CompletionStats }
  | { type: "completionDone"; seq: number; stopReason: StopReason; error?: SerializedErrorData };

/** Progress of a download or model load, throttled by the worker. */
export interface ProgressEvent {
  phase: "download" | "load" | "embed";
  /** Bytes done (download), percent done (load), or texts embedded (embed). */
  loaded: number;
  total: number | null;
  /** Bytes per second over the recent window; null for the load phase. */
  bytesPerSecond: number | null;
  done: boolean;
}
