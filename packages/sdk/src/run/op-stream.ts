import type { CancelResult } from "@rein/protocol";
import type { ClientRequest } from "../requests/client-request.ts";
import { quietly } from "../requests/decorated-promise.ts";
import { ReplayQueue } from "./replay-queue.ts";

/**
 * The values a custom op emits, as an async iterable, plus its return value.
 * The iteration throws the op's error (or its InferenceCancelledError) at the end.
 */
export class OpStream<Chunk, Result> implements AsyncIterable<Chunk>, AsyncDisposable {
  readonly requestId: string;
  readonly result: Promise<Result>;
  readonly #queue = new ReplayQueue<Chunk>();
  readonly #cancel: () => Promise<CancelResult>;

  constructor(request: ClientRequest, cancel: () => Promise<CancelResult>) {
    this.requestId = request.requestId;
    this.#cancel = cancel;
    request.onFrame = (frame) => {
      if (frame.type === "chunk") this.#queue.push(frame.value as Chunk);
    };
    this.result = quietly(
      request.result.then(
        (value) => {
          this.#queue.end();
          return value as Result;
        },
        (error: unknown) => {
          this.#queue.end(error);
          throw error;
        },
      ),
    );
  }

  [Symbol.asyncIterator](): AsyncIterator<Chunk> {
    return this.#queue.iterate(() => void this.cancel().catch(() => undefined));
  }

  cancel(): Promise<CancelResult> {
    if (this.#queue.ended) return Promise.resolve({ cancelled: 0 });
    return this.#cancel();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#queue.ended) await this.cancel().catch(() => undefined);
  }
}
