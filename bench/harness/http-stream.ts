/**
 * One streaming chat completion over HTTP (fetch), timed like the bench's
 * other traces: chunk arrival times, tokens from `usage`, and an optional
 * disconnect (AbortController.abort(): undici destroys the socket) after some
 * chunks or some milliseconds after the response headers.
 */
export interface HttpStreamTrace {
  requestId: string;
  startedAt: number;
  firstChunkAt: number | null;
  lastChunkAt: number | null;
  chunks: number;
  /** `usage.completion_tokens`; 0 when the stream was cut. */
  tokens: number;
  /** When the stream ended or failed (performance.now()). */
  endedAt: number;
  /** When the client dropped the connection (performance.now()), null if it read to the end. */
  disconnectedAt: number | null;
  outcome: "done" | "disconnected" | "error";
}

export type HttpDisconnectPlan = { kind: "none" } | { kind: "afterChunks"; chunks: number } | { kind: "afterMs"; ms: number };

/**
 * Runs one request against `${url}/v1/chat/completions`; never rejects.
 *
 * @example
 * ```ts
 * const trace = await runHttpStream({ url, body: { model: "tiny", messages, max_tokens: 512 }, disconnect: { kind: "afterChunks", chunks: 16 } });
 * ```
 */
export async function runHttpStream(options: { url: string; body: Record<string, unknown>; disconnect: HttpDisconnectPlan; requestId?: string }): Promise<HttpStreamTrace> {
  const requestId = options.requestId ?? crypto.randomUUID();
  const trace: HttpStreamTrace = { requestId, startedAt: performance.now(), firstChunkAt: null, lastChunkAt: null, chunks: 0, tokens: 0, endedAt: 0, disconnectedAt: null, outcome: "error" };
  const controller = new AbortController();
  const disconnect = () => {
    if (trace.disconnectedAt !== null) return;
    trace.disconnectedAt = performance.now();
    controller.abort();
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const response = await fetch(`${options.url}/v1/chat/completions`, {
      method: "POST",
      signal: controller.signal,
      headers: { "content-type": "application/json", "x-request-id": requestId },
      body: JSON.stringify({ ...options.body, stream: true, stream_options: { include_usage: true } }),
    });
    if (!response.ok || !response.body) return trace;
    if (options.disconnect.kind === "afterMs") timer = setTimeout(disconnect, options.disconnect.ms);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    // A client that disconnects stops reading: after abort() a read on the piped body can stay pending forever
    // (seen with undici when the response had already ended), so the loop never reads again after it.
    while (trace.disconnectedAt === null) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const data = buffer.slice(6, end);
        buffer = buffer.slice(end + 2);
        if (data === "[DONE]") continue;
        const chunk = JSON.parse(data) as { usage?: { completion_tokens: number }; choices?: { delta?: { content?: string } }[] };
        if (chunk.usage) trace.tokens = chunk.usage.completion_tokens;
        if (chunk.choices?.[0]?.delta?.content) {
          const now = performance.now();
          trace.firstChunkAt ??= now;
          trace.lastChunkAt = now;
          trace.chunks += 1;
          if (options.disconnect.kind === "afterChunks" && trace.chunks === options.disconnect.chunks) disconnect();
        }
      }
    }
    if (trace.disconnectedAt !== null) void reader.cancel().catch(() => undefined);
    trace.outcome = trace.disconnectedAt === null ? "done" : "disconnected";
  } catch {
    trace.outcome = trace.disconnectedAt === null ? "error" : "disconnected";
  } finally {
    clearTimeout(timer);
    trace.endedAt = performance.now();
  }
  return trace;
}

/** Decode tokens/s of a finished trace, as `decodeTokensPerSecond` computes it for the other paths. */
export function httpTokensPerSecond(trace: HttpStreamTrace): number | null {
  if (trace.firstChunkAt === null || trace.lastChunkAt === null || trace.tokens < 2) return null;
  const windowMs = trace.lastChunkAt - trace.firstChunkAt;
  return windowMs > 0 ? ((trace.tokens - 1) * 1000) / windowMs : null;
}

/** Tokens/s over the whole request (request sent -> stream ended), prompt evaluation included. */
export function httpEndToEndTokensPerSecond(trace: HttpStreamTrace): number | null {
  const windowMs = trace.endedAt - trace.startedAt;
  return trace.tokens > 0 && windowMs > 0 ? (trace.tokens * 1000) / windowMs : null;
}
