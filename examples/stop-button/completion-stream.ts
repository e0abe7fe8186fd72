/**
 * One completion per HTTP request, streamed to the page as NDJSON lines:
 *   {"type":"start","requestId":"..."}   at once, before any token
 *   {"type":"delta","text":"..."}        as the model writes
 *   {"type":"done","stopReason":"...","text":"..."}
 * If the page goes away first (tab closed, network lost), the request is
 * cancelled: an answer nobody will read must not keep the model busy.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { InferenceCancelledError, type ReinClient } from "@rein/sdk";

/** How a request ended, kept for `GET /api/requests/<id>/outcome` (the tests await it). */
export interface Outcome {
  requestId: string;
  stopReason: string;
  /** Who cancelled it: "user" (Stop button), "clientDisconnected" (tab closed) ... or null when it was not cancelled. */
  cancelReason: string | null;
  deltas: number;
  characters: number;
}

/** Outcomes of recent requests; a bounded map, so a long-running server does not grow. */
export class OutcomeBook {
  readonly #outcomes = new Map<string, Promise<Outcome>>();
  readonly #settle = new Map<string, (outcome: Outcome) => void>();

  open(requestId: string): void {
    this.#outcomes.set(requestId, new Promise((resolve) => this.#settle.set(requestId, resolve)));
    if (this.#outcomes.size > 200) this.#outcomes.delete(this.#outcomes.keys().next().value!);
  }

  close(outcome: Outcome): void {
    this.#settle.get(outcome.requestId)?.(outcome);
    this.#settle.delete(outcome.requestId);
  }

  /** Resolves when the request has ended (at once if it already has); undefined for an unknown id. */
  wait(requestId: string): Promise<Outcome> | undefined {
    return this.#outcomes.get(requestId);
  }
}

export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let body = "";
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > 100_000) throw new Error("request body too large");
  }
  const value: unknown = JSON.parse(body || "{}");
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/**
 * Starts a completion for `prompt` and streams it into `response`.
 *
 * @example
 * ```ts
 * await streamCompletion({ client, modelId, prompt: "Hi", maxTokens: 256, response, outcomes });
 * ```
 */
export async function streamCompletion(options: {
  client: ReinClient;
  modelId: string;
  prompt: string;
  maxTokens: number;
  response: ServerResponse;
  outcomes: OutcomeBook;
}): Promise<void> {
  const { client, response } = options;
  const run = options.client.completion({ modelId: options.modelId, history: [{ role: "user", content: options.prompt }], maxTokens: options.maxTokens });
  const requestId = run.requestId;
  options.outcomes.open(requestId);
  const send = (message: object) => {
    if (!response.destroyed) response.write(`${JSON.stringify(message)}\n`);
  };

  // Bind the connection to the request: "close" before the end of the response means the page is gone.
  response.on("close", () => {
    if (!response.writableFinished) void client.cancel({ requestId }, "clientDisconnected").catch(() => undefined);
  });

  response.writeHead(200, { "Content-Type": "application/x-ndjson; charset=utf-8", "Cache-Control": "no-store", "X-Request-Id": requestId });
  send({ type: "start", requestId });
  let deltas = 0;
  let stopReason = "error";
  for await (const event of run.events) {
    if (event.type === "contentDelta") {
      deltas += 1;
      send({ type: "delta", text: event.text });
    }
    if (event.type === "completionDone") stopReason = event.stopReason;
  }
  const error = await run.final.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  const cancelReason = InferenceCancelledError.isInstance(error) ? error.reason : null;
  const text = run.partialText;
  send({ type: "done", stopReason, cancelReason, text, error: stopReason === "error" ? String(error) : undefined });
  response.end();
  options.outcomes.close({ requestId, stopReason, cancelReason, deltas, characters: text.length });
}
