import {
  InferenceCancelledError,
  parseInput,
  ReinError,
  RequestTimeoutError,
  serializeError,
  type CallMessage,
  type CallReply,
  type Frame,
  type ProgressEvent,
} from "@rein/protocol";
import type { RequestContext } from "../registry/index.ts";
import type { WorkerServices } from "../worker-services.ts";
import type { AnyOpDefinition, OpContext } from "./define-op.ts";

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs one call end to end: validate, admit through the registry, run the op,
 * stream its frames, answer. Every path ends the registry entry exactly once,
 * and no path leaves the caller without a reply.
 */
export async function executeCall(options: {
  message: CallMessage;
  op: AnyOpDefinition;
  /** The caller's identity on a shared worker (see `BeginOptions.owner`). */
  owner?: string;
  services: WorkerServices;
  sendFrame: (frame: Frame) => void;
}): Promise<CallReply> {
  const { message, op, services } = options;
  let request: RequestContext | undefined;
  let context: OpContext;
  let input: unknown;
  try {
    input = op.fastInput?.(message.input) ?? parseInput(op.input, message.input, op.name);
    const model = op.model === "required" ? services.models.require((input as { modelId: string }).modelId) : undefined;
    const admission = op.admission?.(input, model, services) ?? {};
    request = await services.registry.begin({
      requestId: message.requestId,
      kind: op.kind,
      modelId: admission.modelId ?? model?.modelId,
      parentRequestId: message.parentRequestId,
      timeoutMs: message.timeoutMs,
      maxConcurrent: admission.maxConcurrent,
      owner: options.owner,
      workspace: admission.workspace,
    });
    // The model may have been unloaded while the request waited in the queue.
    const currentModel = op.model === "required" && !request.signal.aborted ? services.models.require(model!.modelId) : model;
    context = createOpContext(request, currentModel, services, options.sendFrame);
  } catch (error) {
    // A request that was admitted must still end, or its entry and model slot would leak.
    if (request) await request.end("failed");
    return { ok: false, error: serializeError(error, { operation: op.name }) };
  }

  // Cancelled before it began (remembered cancel, cancelled parent, cancelled while queued): never touch the model.
  if (request.signal.aborted) {
    await request.end();
    return { ok: false, error: serializeError(cancelledError(request)) };
  }

  // async wrapper: a handler that throws synchronously still becomes a settled outcome.
  const running = settle((async () => op.run(context, input))());
  if (op.cancel === "soft") {
    const first = await raceAbort(running, request.signal);
    if (first === "aborted") {
      // Answer now; keep the entry and its slot until the native work really ended.
      request.markDraining();
      void running.then(async (late) => {
        if (late.ok) await Promise.resolve(op.discard?.(late.value)).catch(() => undefined);
        await request.end("cancelled");
      });
      return { ok: false, error: serializeError(cancelledError(request)) };
    }
  }

  const outcome = await running;
  if (outcome.ok) {
    // An op that handles its own cancel (completion) returns normally; the registry derives "cancelled".
    await request.end();
    return { ok: true, value: outcome.value };
  }
  const cancelled = request.signal.aborted && !isRealFailure(outcome.error);
  await request.end(cancelled ? "cancelled" : "failed");
  return { ok: false, error: serializeError(cancelled ? cancelledError(request) : outcome.error, { operation: op.name }) };
}

/** The typed outcome for a request stopped by cancel or deadline. */
export function cancelledError(request: RequestContext, partial?: InferenceCancelledError["partial"]): ReinError {
  if (request.cancelCause === "timeout") {
    return new RequestTimeoutError({ requestId: request.requestId, phase: "running", partial });
  }
  return new InferenceCancelledError({ requestId: request.requestId, reason: request.cancelCause ?? "user", partial });
}

/** A typed Rein error thrown while aborting is a real failure (e.g. context overflow), not the cancel. */
function isRealFailure(error: unknown): boolean {
  return ReinError.isInstance(error) && !InferenceCancelledError.isInstance(error) && !RequestTimeoutError.isInstance(error);
}

function createOpContext(
  request: RequestContext,
  model: OpContext["model"],
  services: WorkerServices,
  sendFrame: (frame: Frame) => void,
): OpContext {
  // Output produced before the cancel reaches the caller; output after it never does. The cancel hooks run
  // inside the abort, before the registry's cancel returns and the acknowledgement is written.
  let accepting = true;
  const cancelHooks: (() => void)[] = [];
  request.signal.addEventListener(
    "abort",
    () => {
      for (const hook of cancelHooks) hook();
      accepting = false;
    },
    { once: true },
  );
  return {
    requestId: request.requestId,
    signal: request.signal,
    request,
    services,
    model,
    emit(value: unknown) {
      if (accepting) sendFrame({ type: "chunk", value });
    },
    progress(progress: ProgressEvent) {
      if (accepting) sendFrame({ type: "progress", progress });
    },
    onCancel(hook: () => void) {
      cancelHooks.push(hook);
    },
  };
}

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Whichever comes first: the op's outcome or the abort. The abort listener never outlives the race. */
function raceAbort<T>(running: Promise<T>, signal: AbortSignal): Promise<T | "aborted"> {
  if (signal.aborted) return Promise.resolve("aborted");
  return new Promise((resolve) => {
    const onAbort = () => resolve("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
    void running.then((value) => {
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    });
  });
}
