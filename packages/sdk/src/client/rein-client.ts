import {
  Command,
  completionInputSchema,
  downloadAssetInputSchema,
  embedInputSchema,
  loadModelInputSchema,
  parseCancelTarget,
  ragDeleteDocumentsInputSchema,
  ragDeleteWorkspaceInputSchema,
  ragIngestInputSchema,
  ragListWorkspacesInputSchema,
  ragReindexInputSchema,
  ragSaveEmbeddingsInputSchema,
  ragSearchInputSchema,
  parseInput,
  unloadModelInputSchema,
  WorkerShutdownError,
  type CancelReason,
  type CancelResult,
  type CancelTarget,
  type CompletionInput,
  type DownloadAssetInput,
  type DownloadAssetResult,
  type EmbedInput,
  type EmbedResult,
  type FrameMessage,
  type LoadModelInput,
  type ProgressEvent,
  type RagDeleteDocumentsInput,
  type RagDeleteDocumentsResult,
  type RagDeleteWorkspaceInput,
  type RagDeleteWorkspaceResult,
  type RagIngestInput,
  type RagIngestResult,
  type RagReindexInput,
  type RagReindexResult,
  type RagSaveEmbeddingsInput,
  type RagSearchHit,
  type RagSearchInput,
  type RagWorkspaceInfo,
  type RequestKind,
  type WorkerSnapshot,
} from "@rein/protocol";
import type { z } from "zod";
import { decoratePromise, quietly, type DecoratedPromise } from "../requests/decorated-promise.ts";
import { newRequestId } from "../requests/request-id.ts";
import { ClientRequest } from "../requests/client-request.ts";
import { CompletionRun } from "../run/completion-run.ts";
import { prepareCompletion, type CompletionToolOptions } from "../tools/completion-features.ts";
import { OpStream } from "../run/op-stream.ts";
import { RequestGroup } from "../run/request-group.ts";
import { handleShutdownSignals } from "./signal-handlers.ts";
import type { ClientOptions, RequestOptions } from "./client-options.ts";
import { ModelLedger } from "./model-ledger.ts";
import { RequestLauncher } from "./request-launcher.ts";
import { planLink } from "./link-factory.ts";
import { clampThreads } from "./thread-count.ts";
import { WorkerSupervisor } from "./worker-supervisor.ts";

export type LoadModelParams = LoadModelInput & RequestOptions & { onProgress?: (progress: ProgressEvent) => void };
export type CompletionParams = Omit<CompletionInput, "tools" | "responseFormat" | "awaitToolResults"> & CompletionToolOptions & RequestOptions;
export type EmbedParams = EmbedInput & RequestOptions & { onProgress?: (progress: ProgressEvent) => void };
export type DownloadAssetParams = DownloadAssetInput & RequestOptions & { onProgress?: (progress: ProgressEvent) => void };
export type RagIngestParams = RagIngestInput & RequestOptions & { onProgress?: (progress: ProgressEvent) => void };
export type RagSaveEmbeddingsParams = RagSaveEmbeddingsInput & RequestOptions & { onProgress?: (progress: ProgressEvent) => void };
export type RagSearchParams = RagSearchInput & RequestOptions;
export type RagReindexParams = RagReindexInput & RequestOptions & { onProgress?: (progress: ProgressEvent) => void };
export type RagDeleteDocumentsParams = RagDeleteDocumentsInput & RequestOptions;
export type RagDeleteWorkspaceParams = RagDeleteWorkspaceInput & RequestOptions;
export interface UnloadModelResult {
  freed: boolean;
  references: number;
  cancelled: number;
}

/**
 * A Rein client: one worker process, started on first use, or a connection to
 * a Rein server (`url`). Every long call is a request with a `requestId` that
 * exists before the first await.
 *
 * @example
 * ```ts
 * const client = createClient(); // threads: REIN_THREADS, else half the cores
 * const modelId = await client.loadModel({ modelSrc: "./model.gguf" });
 * const run = client.completion({ modelId, history: [{ role: "user", content: "Hi" }] });
 * stopButton.onclick = () => client.cancel({ requestId: run.requestId });
 * for await (const event of run.events) if (event.type === "contentDelta") process.stdout.write(event.text);
 * await client.close();
 * ```
 */
export class ReinClient {
  readonly #requests: RequestLauncher;
  readonly #supervisor: WorkerSupervisor;
  readonly #models = new ModelLedger();
  readonly #options: ClientOptions;
  readonly #remote: boolean;
  #removeSignalHandlers: (() => void) | undefined;

  constructor(options: ClientOptions = {}) {
    this.#options = options;
    const plan = planLink(options);
    this.#remote = plan.remote;
    this.#supervisor = new WorkerSupervisor({
      openLink: plan.openLink,
      startTimeoutMs: options.startTimeoutMs,
      closeTimeoutMs: options.closeTimeoutMs,
      config: plan.config,
      onFrame: (message: FrameMessage) => this.#requests.route(message),
      onLog: (message) => options.logger?.(message),
      onWorkerGone: (error) => {
        this.#requests.failSent(error);
        // Models die with their worker; remember them only when the app asked for a reload.
        if (!options.reloadModelsOnRestart) this.#models.clear();
      },
      afterRestart: options.reloadModelsOnRestart
        ? (connection) =>
            this.#models.reload(connection, (modelId, error) =>
              options.logger?.({
                level: "warn",
                message: `model ${modelId} could not be loaded again after the worker restarted: ${error instanceof Error ? error.message : String(error)}`,
                data: { modelId },
              }),
            )
        : undefined,
    });
    this.#requests = new RequestLauncher(this.#supervisor, (requestId, reason) => this.cancel({ requestId }, reason));
    if (options.handleSignals) this.#removeSignalHandlers = handleShutdownSignals(this);
  }

  /** Starts the worker now instead of on the first call; resolves with its handshake. */
  async ready(): Promise<{ pid: number; engineVersion: string }> {
    const connection = await this.#supervisor.connect();
    return { pid: connection.handshake!.pid, engineVersion: connection.handshake!.engine.version };
  }

  /**
   * Loads a model from a .gguf path or an http(s) URL; resolves to its deterministic id.
   *
   * @example
   * ```ts
   * const load = client.loadModel({ modelSrc: "./model.gguf", modelConfig: { parallel: 2 } });
   * console.log(load.requestId); // cancellable at once
   * const modelId = await load;
   * ```
   */
  loadModel(params: LoadModelParams): DecoratedPromise<string> {
    const { requestId, signal, timeoutMs, parent, onProgress, ...input } = params ?? ({} as LoadModelParams);
    // The worker clamps it; the warning is raised here, where the app can see it.
    const threads = (input.modelConfig as { threads?: unknown } | undefined)?.threads;
    if (typeof threads === "number") clampThreads(threads, "loadModel({ modelConfig: { threads } })");
    const promise = this.#requests.launch({ op: "loadModel", kind: "loadModel", input, schema: loadModelInputSchema, requestId, signal, timeoutMs, parent, onProgress });
    const loaded = quietly(
      promise.result.then((modelId) => {
        this.#models.recordLoad(modelId as string, input);
        return modelId as string;
      }),
    );
    return decoratePromise(loaded, promise.requestId, () => this.cancel({ requestId: promise.requestId }));
  }

  /**
   * Releases a model. At its last reference every request on it is cancelled
   * (running and queued), the worker waits for their cleanup, then frees it.
   *
   * @example
   * ```ts
   * await client.unloadModel({ modelId });
   * ```
   */
  async unloadModel(params: { modelId: string }): Promise<UnloadModelResult> {
    const input = parseInput(unloadModelInputSchema, params, "unloadModel");
    const connection = await this.#supervisor.connect();
    const result = (await connection.request(Command.call, { op: "unloadModel", requestId: newRequestId(), input })) as UnloadModelResult;
    this.#models.recordUnload(input.modelId);
    return result;
  }

  /**
   * Starts a chat completion and returns its run synchronously.
   *
   * @example
   * ```ts
   * const run = client.completion({ modelId, history: [{ role: "user", content: "Hello" }], maxTokens: 64 });
   * setTimeout(() => run.cancel(), 100);
   * try { console.log(await run.text); } catch (error) { if (InferenceCancelledError.isInstance(error)) console.log(error.partial.text); }
   * ```
   */
  completion(params: CompletionParams): CompletionRun {
    const { requestId: givenId, signal, timeoutMs, parent, ...rest } = params ?? ({} as CompletionParams);
    const requestId = givenId ?? newRequestId();
    let prepared;
    try {
      prepared = prepareCompletion(rest, (id, answer) => this.#sendToolResults(id, answer), requestId);
    } catch (error) {
      // Same outcome as any invalid input: a run whose promises reject, nothing sent, no registry entry.
      const request = new ClientRequest({ requestId, op: "completion", kind: "completion", modelId: rest.modelId });
      request.reject(error);
      return new CompletionRun(request, () => Promise.resolve({ cancelled: 0 }));
    }
    const { input, features } = prepared;
    const request = this.#requests.launch({ op: "completion", kind: "completion", input, modelId: input.modelId, schema: completionInputSchema, requestId, signal, timeoutMs, parent });
    return new CompletionRun(request, () => this.cancel({ requestId: request.requestId }), features);
  }

  /** Answers a tool loop's model turn: continue with results, or stop. Not a request of its own. */
  async #sendToolResults(requestId: string, answer: object): Promise<unknown> {
    const connection = this.#supervisor.live;
    if (!connection) return { delivered: false };
    return connection.request(Command.call, { op: "completion.toolResults", requestId: newRequestId(), input: { requestId, ...answer } });
  }

  /**
   * Embeds one text (`text`) or a batch (`texts`).
   *
   * @example
   * ```ts
   * const { vectors, dimension } = await client.embed({ modelId, texts: ["a", "b"] });
   * ```
   */
  embed(params: EmbedParams): DecoratedPromise<EmbedResult> {
    const { requestId, signal, timeoutMs, parent, onProgress, ...input } = params ?? ({} as EmbedParams);
    const request = this.#requests.launch({ op: "embed", kind: "embeddings", input, modelId: (input as { modelId?: string }).modelId, schema: embedInputSchema, requestId, signal, timeoutMs, parent, onProgress });
    return decoratePromise(request.result as Promise<EmbedResult>, request.requestId, () => this.cancel({ requestId: request.requestId }));
  }

  /**
   * Downloads a file into the worker's cache: resumable, sha256-checked, shared between callers of the same URL.
   *
   * @example
   * ```ts
   * const download = client.downloadAsset({ url, onProgress: (p) => console.log(p.loaded, p.total) });
   * const { path } = await download;
   * ```
   */
  downloadAsset(params: DownloadAssetParams): DecoratedPromise<DownloadAssetResult> {
    const { requestId, signal, timeoutMs, parent, onProgress, ...input } = params ?? ({} as DownloadAssetParams);
    const request = this.#requests.launch({ op: "downloadAsset", kind: "downloadAsset", input, schema: downloadAssetInputSchema, requestId, signal, timeoutMs, parent, onProgress });
    return decoratePromise(request.result as Promise<DownloadAssetResult>, request.requestId, () => this.cancel({ requestId: request.requestId }));
  }

  /**
   * Chunks documents, embeds the chunks with a loaded model and stores them in a workspace (made on first
   * use), one transaction per call: a cancelled, timed-out or failed ingest writes nothing. Progress comes
   * per batch (`loaded` chunks of `total`). `cancel({ operation: "rag", workspace })` stops it, and so does
   * `cancel({ modelId })` for the model it embeds with.
   *
   * @example
   * ```ts
   * const ingest = client.ragIngest({ workspace: "notes", modelId, documents: [{ id: "a", text: "..." }] });
   * stopButton.onclick = () => client.cancel({ requestId: ingest.requestId });
   * const { chunks } = await ingest;
   * ```
   */
  ragIngest(params: RagIngestParams): DecoratedPromise<RagIngestResult> {
    const { requestId, signal, timeoutMs, parent, onProgress, ...input } = params ?? ({} as RagIngestParams);
    return this.#rag("ragIngest", input, ragIngestInputSchema, { requestId, signal, timeoutMs, parent, onProgress });
  }

  /**
   * Stores vectors made elsewhere (one document of one chunk per item), in one transaction.
   *
   * @example
   * ```ts
   * await client.ragSaveEmbeddings({ workspace: "notes", items: [{ id: "a", text: "hi", embedding: [0.1, 0.2] }] });
   * ```
   */
  ragSaveEmbeddings(params: RagSaveEmbeddingsParams): DecoratedPromise<RagIngestResult> {
    const { requestId, signal, timeoutMs, parent, onProgress, ...input } = params ?? ({} as RagSaveEmbeddingsParams);
    return this.#rag("ragSaveEmbeddings", input, ragSaveEmbeddingsInputSchema, { requestId, signal, timeoutMs, parent, onProgress });
  }

  /**
   * The `topK` (default 5) chunks nearest to `query` (embedded with `modelId`) or to `embedding`, best first.
   * `filter: { documentIds?, metadata? }` narrows the search; `exact: true` skips the HNSW index.
   *
   * @example
   * ```ts
   * const hits = await client.ragSearch({ workspace: "notes", modelId, query: "cancellation", topK: 3 });
   * for (const hit of hits) console.log(hit.score.toFixed(3), hit.documentId, hit.text);
   * ```
   */
  ragSearch(params: RagSearchParams): DecoratedPromise<RagSearchHit[]> {
    const { requestId, signal, timeoutMs, parent, ...input } = params ?? ({} as RagSearchParams);
    return this.#rag("ragSearch", input, ragSearchInputSchema, { requestId, signal, timeoutMs, parent });
  }

  /**
   * Re-embeds every chunk of a workspace with another model, swapping the vectors in one transaction.
   *
   * @example
   * ```ts
   * await client.ragReindex({ workspace: "notes", modelId: biggerModelId, onProgress: (p) => console.log(p.loaded, p.total) });
   * ```
   */
  ragReindex(params: RagReindexParams): DecoratedPromise<RagReindexResult> {
    const { requestId, signal, timeoutMs, parent, onProgress, ...input } = params ?? ({} as RagReindexParams);
    return this.#rag("ragReindex", input, ragReindexInputSchema, { requestId, signal, timeoutMs, parent, onProgress });
  }

  /**
   * Deletes documents (and their chunks) from a workspace.
   *
   * @example
   * ```ts
   * const { documents } = await client.ragDeleteDocuments({ workspace: "notes", documentIds: ["a"] });
   * ```
   */
  ragDeleteDocuments(params: RagDeleteDocumentsParams): DecoratedPromise<RagDeleteDocumentsResult> {
    const { requestId, signal, timeoutMs, parent, ...input } = params ?? ({} as RagDeleteDocumentsParams);
    return this.#rag("ragDeleteDocuments", input, ragDeleteDocumentsInputSchema, { requestId, signal, timeoutMs, parent });
  }

  /**
   * Every workspace in the worker's cache directory, with its counts, dimension and model.
   *
   * @example
   * ```ts
   * for (const { workspace, chunks } of await client.ragListWorkspaces()) console.log(workspace, chunks);
   * ```
   */
  ragListWorkspaces(options: RequestOptions = {}): DecoratedPromise<RagWorkspaceInfo[]> {
    const { requestId, signal, timeoutMs, parent } = options ?? {};
    return this.#rag("ragListWorkspaces", {}, ragListWorkspacesInputSchema, { requestId, signal, timeoutMs, parent });
  }

  /**
   * Closes a workspace and removes its data from disk.
   *
   * @example
   * ```ts
   * await client.ragDeleteWorkspace({ workspace: "notes" });
   * ```
   */
  ragDeleteWorkspace(params: RagDeleteWorkspaceParams): DecoratedPromise<RagDeleteWorkspaceResult> {
    const { requestId, signal, timeoutMs, parent, ...input } = params ?? ({} as RagDeleteWorkspaceParams);
    return this.#rag("ragDeleteWorkspace", input, ragDeleteWorkspaceInputSchema, { requestId, signal, timeoutMs, parent });
  }

  #rag<T>(op: string, input: object, schema: z.ZodType, options: RequestOptions & { onProgress?: (progress: ProgressEvent) => void }): DecoratedPromise<T> {
    const fields = input as { workspace?: unknown; modelId?: unknown };
    const request = this.#requests.launch({
      ...options,
      op,
      kind: "rag",
      input,
      schema,
      modelId: typeof fields.modelId === "string" ? fields.modelId : undefined,
      workspace: typeof fields.workspace === "string" ? fields.workspace : undefined,
    });
    return decoratePromise(request.result as Promise<T>, request.requestId, () => this.cancel({ requestId: request.requestId }));
  }

  /**
   * Calls a custom op (registered in the worker with `defineOp`) by name; resolves to its result.
   *
   * @example
   * ```ts
   * const reversed = await client.call<string>("reverse", { text: "abc" });
   * ```
   */
  call<T = unknown>(op: string, input: unknown, options: RequestOptions & { kind?: RequestKind; modelId?: string; onProgress?: (progress: ProgressEvent) => void } = {}): DecoratedPromise<T> {
    const request = this.#requests.launch({ ...options, op, kind: options?.kind ?? "custom", input });
    return decoratePromise(request.result as Promise<T>, request.requestId, () => this.cancel({ requestId: request.requestId }));
  }

  /**
   * Calls a custom op and iterates the values it emits; `result` is its return value.
   * Leaving the loop early cancels the request.
   *
   * @example
   * ```ts
   * const stream = client.stream<string, string>("reverse", { text: "abc" });
   * for await (const character of stream) process.stdout.write(character);
   * ```
   */
  stream<Chunk = unknown, Result = unknown>(op: string, input: unknown, options: RequestOptions & { kind?: RequestKind; modelId?: string } = {}): OpStream<Chunk, Result> {
    const request = this.#requests.launch({ ...options, op, kind: options?.kind ?? "custom", input });
    return new OpStream<Chunk, Result>(request, () => this.cancel({ requestId: request.requestId }));
  }

  /**
   * Opens a group: a request of its own that others name as `parent`, so one
   * cancel (or one deadline) stops a multi-step task wherever it is.
   *
   * @example
   * ```ts
   * await using task = client.group({ timeoutMs: 30_000 });
   * const vectors = await client.embed({ modelId, text: query, parent: task });
   * const run = client.completion({ modelId, history, parent: task });
   * ```
   */
  group(options: RequestOptions = {}): RequestGroup {
    const request = this.#requests.launch({ ...options, op: "group", kind: "custom", input: {} });
    const end = async () => {
      if (request.settled) return;
      const connection = await this.#supervisor.connect();
      if (request.settled) return;
      await connection.request(Command.call, { op: "endGroup", requestId: newRequestId(), input: { requestId: request.requestId } });
    };
    return new RequestGroup(request, () => this.cancel({ requestId: request.requestId }), end);
  }

  /**
   * Cancels one request (`{ requestId }`) or every request on a model (`{ modelId, kind? }`).
   * Resolves with how many requests it actually stopped: `{ cancelled: 0 }` for a well-formed id that is
   * unknown or already finished. A malformed target (no `requestId` / `modelId`, a requestId that is not a
   * UUIDv4) rejects with `InvalidInputError` naming the field, so a typo never passes for "already done".
   *
   * @example
   * ```ts
   * await client.cancel({ requestId: run.requestId });       // { cancelled: 1 }
   * await client.cancel({ modelId, kind: "completion" });   // every completion on the model
   * await client.cancel({ operation: "rag", workspace: "notes" }); // every request on a RAG workspace
   * ```
   */
  async cancel(target: CancelTarget, reason: CancelReason = "user"): Promise<CancelResult> {
    const normalized = parseCancelTarget(target);
    const cancelledHere = this.#requests.cancelUnsent(normalized, reason);
    // A local worker that is not running has nothing to cancel. A remote server may run requests this client
    // never sent (the same API key on another connection, an HTTP route): connect and ask it.
    const connection = this.#remote ? await this.#supervisor.connect().catch(() => undefined) : this.#supervisor.live;
    if (!connection) return { cancelled: cancelledHere };
    if (normalized.operation === "request" && cancelledHere > 0) return { cancelled: cancelledHere };
    const remote = (await connection.request(Command.cancel, { target: normalized, reason }).catch(() => ({ cancelled: 0 }))) as CancelResult;
    if (normalized.operation === "request" && remote.cancelled > 0) this.#requests.acknowledgeCancel(normalized.requestId);
    return { cancelled: cancelledHere + remote.cancelled };
  }

  /** The worker's registry, models and counters: what runs now, for diagnostics and tests. */
  async inspect(): Promise<WorkerSnapshot> {
    const connection = await this.#supervisor.connect();
    return (await connection.request(Command.inspect, {})) as WorkerSnapshot;
  }

  /**
   * Cancels every request, waits for their cleanup, frees the models and stops
   * the worker. Calls made afterwards reject with WorkerShutdownError.
   */
  async close(): Promise<void> {
    this.#requests.cancelAllUnsent();
    await this.#supervisor.close();
    this.#requests.rejectAll(new WorkerShutdownError());
    // Only now: a second Ctrl+C during a signal-triggered close must still exit at once.
    this.#removeSignalHandlers?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The pid of the live local worker, if one runs (tests kill it to simulate crashes); undefined for a remote one. */
  get workerPid(): number | undefined {
    return this.#remote ? undefined : this.#supervisor.live?.pid;
  }
}

