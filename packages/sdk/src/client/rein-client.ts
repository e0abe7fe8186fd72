import {
  Command,
  InvalidInputError,
  completionInputSchema,
  plainCompletionInput,
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
  type NormalizedCancelTarget,
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
import { Delegations, type PeerInfo } from "../delegation/delegations.ts";
import { resolveDelegation, type DelegateOptions } from "../delegation/delegate-options.ts";
import { ParentMirrors } from "../delegation/parent-mirrors.ts";
import type { LaunchOptions } from "./request-launcher.ts";
import { planLink } from "./link-factory.ts";
import { Route } from "./route.ts";
import { clampThreads } from "./thread-count.ts";

export type LoadModelParams = LoadModelInput &
  RequestOptions & {
    onProgress?: (progress: ProgressEvent) => void;
    /**
     * Run this model on other workers (HyperDHT peers or Rein servers) instead of the local one: every
     * call on the returned modelId goes to one of them, with the full cancel contract on the hop. The
     * peer loads it by `modelSrc` = a model its operator listed (name or exact source).
     */
    delegate?: DelegateOptions;
  };
/** Options of a call on a model: for a delegated model, `peer` sends it to that pool member. */
export interface ModelCallOptions {
  /** For a model delegated to several peers: this one (its public key, or `{ url }`), instead of the routing's pick. */
  peer?: DelegateOptions["peer"];
}
export type CompletionParams = Omit<CompletionInput, "tools" | "responseFormat" | "awaitToolResults"> & CompletionToolOptions & RequestOptions & ModelCallOptions;
export type EmbedParams = EmbedInput & RequestOptions & ModelCallOptions & { onProgress?: (progress: ProgressEvent) => void };
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
 * a Rein server (`url`) or peer (`peer`); models delegated to other workers
 * (`loadModel({ delegate })`) run there. Every long call is a request with a
 * `requestId` that exists before the first await.
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
  /** The worker this client starts (or the server it was given): every request that is not delegated. */
  readonly #local: Route;
  /** Models delegated to peers, and the routes to those peers. */
  readonly #delegations: Delegations;
  readonly #mirrors: ParentMirrors;
  #removeSignalHandlers: (() => void) | undefined;

  constructor(options: ClientOptions = {}) {
    const plan = planLink(options);
    const cancelById = (requestId: string, reason: CancelReason) => this.cancel({ requestId }, reason);
    this.#local = new Route({
      name: "local",
      openLink: plan.openLink,
      config: plan.config,
      remote: plan.remote,
      startTimeoutMs: options.startTimeoutMs,
      closeTimeoutMs: options.closeTimeoutMs,
      logger: options.logger,
      reloadModels: options.reloadModelsOnRestart === true,
      cancelById,
    });
    this.#delegations = new Delegations({
      createRoute: (peer, bootstrap, onGone) => {
        const link = planLink(
          "publicKey" in peer.address
            ? { peer: peer.address.publicKey, bootstrap: bootstrap ?? options.bootstrap, keyPair: options.keyPair, startTimeoutMs: options.startTimeoutMs }
            : { url: peer.address.url, apiKey: peer.address.apiKey, startTimeoutMs: options.startTimeoutMs },
        );
        // A peer's models are loaded again on every new connection: a dropped link gave its loads back.
        return new Route({ name: peer.key, openLink: link.openLink, config: link.config, remote: true, startTimeoutMs: options.startTimeoutMs, logger: options.logger, reloadModels: true, cancelById, onGone });
      },
    });
    this.#mirrors = new ParentMirrors(() => this.#routes());
    if (options.handleSignals) this.#removeSignalHandlers = handleShutdownSignals(this);
  }

  /** Every worker this client talks to: its own first, then the peers it delegated to. */
  #routes(): Route[] {
    return [this.#local, ...this.#delegations.routes()];
  }

  /** Launches on `route`, first making the request's parent exist there when it lives on another worker. */
  #launch(route: Route, options: LaunchOptions) {
    if (this.#delegations.peerCount > 0) {
      let parent: unknown;
      try {
        parent = typeof options.parent === "string" ? options.parent : options.parent?.requestId;
      } catch {
        // A getter that throws: the launch refuses it by name (InvalidInputError), nothing to prepare.
      }
      if (typeof parent === "string") this.#mirrors.prepare(parent, route);
    }
    return route.requests.launch(options);
  }

  /**
   * Where a call on `modelId` runs: a delegated model's peer (its input naming the peer's own id for it), or
   * the local worker. Throws InvalidInputError for a `peer` that does not fit.
   */
  #target(modelId: unknown, peer: unknown, operation: string): { route: Route; modelId: unknown } {
    if (typeof modelId === "string" && this.#delegations.has(modelId)) {
      const target = this.#delegations.pick(modelId, peer, operation);
      return { route: target.route, modelId: target.remoteModelId };
    }
    if (peer !== undefined) throw new InvalidInputError({ field: "peer", reason: `applies only to a delegated model; ${String(modelId)} runs on the local worker`, operation });
    return { route: this.#local, modelId };
  }

  /** Starts the worker now instead of on the first call; resolves with its handshake. */
  async ready(): Promise<{ pid: number; engineVersion: string }> {
    const connection = await this.#local.supervisor.connect();
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
    if (params?.delegate !== undefined) return this.#loadDelegated(params);
    const { requestId, signal, timeoutMs, parent, onProgress, delegate: _local, ...input } = params ?? ({} as LoadModelParams);
    // The worker clamps it; the warning is raised here, where the app can see it.
    const threads = (input.modelConfig as { threads?: unknown } | undefined)?.threads;
    if (typeof threads === "number") clampThreads(threads, "loadModel({ modelConfig: { threads } })");
    const promise = this.#launch(this.#local, { op: "loadModel", kind: "loadModel", input, schema: loadModelInputSchema, requestId, signal, timeoutMs, parent, onProgress });
    const loaded = quietly(
      promise.result.then((modelId) => {
        this.#local.models.recordLoad(modelId as string, input);
        return modelId as string;
      }),
    );
    return decoratePromise(loaded, promise.requestId, () => this.cancel({ requestId: promise.requestId }));
  }

  /**
   * Loads a model on each of its peers under one requestId (cancel, signal, deadline and parent reach every
   * peer), and resolves to the id the app uses for it. All of them or none: when one peer fails, the copies
   * that did load are given back and the load rejects with that peer's error.
   */
  #loadDelegated(params: LoadModelParams): DecoratedPromise<string> {
    const { requestId: givenId, signal, timeoutMs, parent, onProgress, delegate, ...input } = params;
    const requestId = typeof givenId === "string" ? givenId : newRequestId();
    let delegation;
    try {
      delegation = resolveDelegation(delegate);
    } catch (error) {
      return decoratePromise(quietly(Promise.reject(error)), requestId, async () => ({ cancelled: 0 }));
    }
    const { routing, bootstrap } = delegation;
    const peers = delegation.peers.map((peer) => ({ peer, route: this.#delegations.routeTo(peer, bootstrap) }));
    const loads = peers.map(({ route }) =>
      // One id on every peer (a malformed one of the app's is passed on, so each launch refuses it by name).
      this.#launch(route, { op: "loadModel", kind: "loadModel", input, schema: loadModelInputSchema, requestId: givenId ?? requestId, signal, timeoutMs, parent, onProgress }),
    );
    const loaded = quietly(
      (async () => {
        const outcomes = await Promise.allSettled(loads.map((load) => load.result as Promise<string>));
        const failure = outcomes.find((outcome) => outcome.status === "rejected");
        if (failure) {
          await Promise.all(
            outcomes.map((outcome, index) =>
              outcome.status === "fulfilled"
                ? peers[index]!.route.supervisor.live?.request(Command.call, { op: "unloadModel", requestId: newRequestId(), input: { modelId: outcome.value } }).catch(() => undefined)
                : undefined,
            ),
          );
          throw failure.reason;
        }
        const members = outcomes.map((outcome, index) => {
          const remoteModelId = (outcome as PromiseFulfilledResult<string>).value;
          peers[index]!.route.models.recordLoad(remoteModelId, input);
          return { peerKey: peers[index]!.peer.key, remoteModelId };
        });
        const modelId = Delegations.modelIdFor(
          peers.map(({ peer }) => peer.key),
          input,
          routing,
        );
        this.#delegations.register(modelId, members, routing);
        return modelId;
      })(),
    );
    return decoratePromise(loaded, loads[0]!.requestId, () => this.cancel({ requestId: loads[0]!.requestId }));
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
    if (this.#delegations.has(input.modelId)) return this.#delegations.release(input.modelId);
    const connection = await this.#local.supervisor.connect();
    const result = (await connection.request(Command.call, { op: "unloadModel", requestId: newRequestId(), input })) as UnloadModelResult;
    this.#local.models.recordUnload(input.modelId);
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
    const { requestId: givenId, signal, timeoutMs, parent, peer, ...rest } = params ?? ({} as CompletionParams);
    const requestId = givenId ?? newRequestId();
    let prepared;
    let target;
    try {
      target = this.#target(rest.modelId, peer, "completion");
      prepared = prepareCompletion(rest, (id, answer) => this.#sendToolResults(id, answer), requestId);
    } catch (error) {
      // Same outcome as any invalid input: a run whose promises reject, nothing sent, no registry entry.
      const request = new ClientRequest({ requestId, op: "completion", kind: "completion", modelId: rest.modelId });
      request.reject(error);
      return new CompletionRun(request, () => Promise.resolve({ cancelled: 0 }));
    }
    const { input, features } = prepared;
    const sent = target.route === this.#local ? input : { ...input, modelId: target.modelId as string };
    const request = this.#launch(target.route, { op: "completion", kind: "completion", input: sent, modelId: input.modelId, schema: completionInputSchema, accepts: acceptsPlainCompletion, requestId, signal, timeoutMs, parent });
    return new CompletionRun(request, () => this.cancel({ requestId: request.requestId }), features);
  }

  /** Answers a tool loop's model turn: continue with results, or stop. Not a request of its own. */
  async #sendToolResults(requestId: string, answer: object): Promise<unknown> {
    const route = this.#routes().find((candidate) => candidate.requests.get(requestId) !== undefined) ?? this.#local;
    const connection = route.supervisor.live;
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
    const { requestId, signal, timeoutMs, parent, onProgress, peer, ...input } = params ?? ({} as EmbedParams);
    const modelId = (input as { modelId?: unknown }).modelId;
    let target;
    try {
      target = this.#target(modelId, peer, "embed");
    } catch (error) {
      const refused = new ClientRequest({ requestId: requestId ?? newRequestId(), op: "embed", kind: "embeddings" });
      refused.reject(error);
      return decoratePromise(refused.result as Promise<EmbedResult>, refused.requestId, async () => ({ cancelled: 0 }));
    }
    const sent = target.route === this.#local ? input : { ...input, modelId: target.modelId };
    const request = this.#launch(target.route, { op: "embed", kind: "embeddings", input: sent, modelId: typeof modelId === "string" ? modelId : undefined, schema: embedInputSchema, requestId, signal, timeoutMs, parent, onProgress });
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
    const request = this.#launch(this.#local, { op: "downloadAsset", kind: "downloadAsset", input, schema: downloadAssetInputSchema, requestId, signal, timeoutMs, parent, onProgress });
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
    const request = this.#launch(this.#local, {
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
    const request = this.#launch(this.#local, { ...options, op, kind: options?.kind ?? "custom", input });
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
    const request = this.#launch(this.#local, { ...options, op, kind: options?.kind ?? "custom", input });
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
    const request = this.#launch(this.#local, { ...options, op: "group", kind: "custom", input: {} });
    const end = async () => {
      if (request.settled) return;
      const connection = await this.#local.supervisor.connect();
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
    if (this.#delegations.peerCount === 0) return this.#cancelOn(this.#local, normalized, reason);
    const peers = this.#delegations.routes();
    if (normalized.operation === "broad" && this.#delegations.has(normalized.modelId)) {
      // Each peer names its copy of the model with its own id.
      const targets = this.#delegations.targetsOf(normalized.modelId);
      return sumCancelled(await Promise.all(targets.map(({ route, remoteModelId }) => this.#cancelOn(route, normalized, reason, { ...normalized, modelId: remoteModelId }))));
    }
    if (normalized.operation !== "request") return this.#cancelOn(this.#local, normalized, reason);
    // Every worker that holds the id: a delegated load runs under one id on each peer, and a parent also lives
    // as a stand-in group on the peers of its children. An id nobody holds goes to all of them: a cancel that
    // arrives before its request is remembered there.
    const routes = [this.#local, ...peers];
    const holders = routes.filter((route) => route.requests.get(normalized.requestId) !== undefined);
    return sumCancelled(await Promise.all((holders.length > 0 ? holders : routes).map((route) => this.#cancelOn(route, normalized, reason))));
  }

  /** One worker's part of a cancel: requests not sent yet settle here; the worker is asked about the rest. */
  async #cancelOn(route: Route, target: NormalizedCancelTarget, reason: CancelReason, sent: NormalizedCancelTarget = target): Promise<CancelResult> {
    const cancelledHere = route.requests.cancelUnsent(target, reason);
    // A local worker that is not running has nothing to cancel. A remote server may run requests this client
    // never sent (the same API key on another connection, an HTTP route): connect and ask it.
    const connection = route === this.#local && route.remote ? await route.supervisor.connect().catch(() => undefined) : route.supervisor.live;
    if (!connection) return { cancelled: cancelledHere };
    if (target.operation === "request" && cancelledHere > 0) return { cancelled: cancelledHere };
    const remote = (await connection.request(Command.cancel, { target: sent, reason }).catch(() => ({ cancelled: 0 }))) as CancelResult;
    if (target.operation === "request" && remote.cancelled > 0) route.requests.acknowledgeCancel(target.requestId);
    return { cancelled: cancelledHere + remote.cancelled };
  }

  /**
   * Every peer this client delegated to: asks each for its status now (reconnecting one that was lost) and
   * reports whether it answered and how busy it is. Pools route by the same answers, which a heartbeat
   * refreshes every second.
   *
   * @example
   * ```ts
   * for (const { peer, up, running, queued } of await client.peers()) console.log(peer, up ? `${running} running, ${queued} queued` : "down");
   * ```
   */
  peers(): Promise<PeerInfo[]> {
    return this.#delegations.check();
  }

  /** The worker's registry, models and counters: what runs now, for diagnostics and tests. */
  async inspect(): Promise<WorkerSnapshot> {
    const connection = await this.#local.supervisor.connect();
    return (await connection.request(Command.inspect, {})) as WorkerSnapshot;
  }

  /**
   * Cancels every request, waits for their cleanup, frees the models and stops
   * the worker. Calls made afterwards reject with WorkerShutdownError.
   */
  async close(): Promise<void> {
    for (const route of this.#routes()) route.requests.cancelAllUnsent();
    // Peers are left, not stopped: each cancels what this client ran there and gives back its loads.
    await Promise.all([this.#local.supervisor.close(), this.#delegations.close()]);
    for (const route of this.#routes()) route.requests.rejectAll(new WorkerShutdownError());
    // Only now: a second Ctrl+C during a signal-triggered close must still exit at once.
    this.#removeSignalHandlers?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The pid of the live local worker, if one runs (tests kill it to simulate crashes); undefined for a remote one. */
  get workerPid(): number | undefined {
    return this.#local.remote ? undefined : this.#local.supervisor.live?.pid;
  }
}

function sumCancelled(results: CancelResult[]): CancelResult {
  return { cancelled: results.reduce((total, result) => total + result.cancelled, 0) };
}

/** A plain chat's input passes by hand (see `plainCompletionInput` in @rein/protocol); anything else goes through zod. */
function acceptsPlainCompletion(input: unknown): boolean {
  return plainCompletionInput(input) !== undefined;
}
