/**
 * Server-sent events on a raw Node response, as OpenAI streams them:
 * `data: <json>\n\n` per chunk and `data: [DONE]` at the end. Writes respect
 * backpressure (a slow reader holds the generator's stream, not our memory)
 * and stop quietly once the client is gone.
 */
import type { ServerResponse } from "node:http";

export class SseStream {
  readonly #response: ServerResponse;

  constructor(response: ServerResponse) {
    this.#response = response;
  }

  /** True once the client left or the stream ended. */
  get closed(): boolean {
    return this.#response.destroyed || this.#response.writableEnded;
  }

  /**
   * Sends the status line and headers; nothing can be refused after this.
   *
   * @example
   * ```ts
   * const sse = new SseStream(reply.raw);
   * sse.open({ "x-request-id": requestId });
   * await sse.send({ choices: [] });
   * sse.done();
   * ```
   */
  open(headers: Record<string, string>): void {
    this.#response.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      // Proxies such as nginx buffer responses unless told not to; a buffered stream is not a stream.
      "x-accel-buffering": "no",
    });
    this.#response.flushHeaders();
  }

  /** Writes one event; resolves once the socket took it (or the client is gone). */
  async send(value: unknown): Promise<void> {
    if (this.closed) return;
    if (this.#response.write(`data: ${JSON.stringify(value)}\n\n`)) return;
    await new Promise<void>((resolve) => {
      const settle = () => {
        this.#response.off("drain", settle);
        this.#response.off("close", settle);
        resolve();
      };
      this.#response.once("drain", settle);
      this.#response.once("close", settle);
    });
  }

  /** Ends a successful stream with `data: [DONE]`. */
  done(): void {
    if (this.closed) return;
    this.#response.end("data: [DONE]\n\n");
  }

  /** Ends the stream without `[DONE]` (after an error event). */
  end(): void {
    if (!this.closed) this.#response.end();
  }
}
