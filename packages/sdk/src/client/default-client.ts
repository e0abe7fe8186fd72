import type {
  CancelReason,
  CancelResult,
  CancelTarget,
  DownloadAssetResult,
  EmbedResult,
  RagDeleteDocumentsResult,
  RagDeleteWorkspaceResult,
  RagIngestResult,
  RagReindexResult,
  RagSearchHit,
  RagWorkspaceInfo,
  WorkerSnapshot,
} from "@rein/protocol";
import type { DecoratedPromise } from "../requests/decorated-promise.ts";
import type { CompletionRun } from "../run/completion-run.ts";
import type { ClientOptions } from "./client-options.ts";
import {
  ReinClient,
  type CompletionParams,
  type DownloadAssetParams,
  type EmbedParams,
  type LoadModelParams,
  type RagDeleteDocumentsParams,
  type RagDeleteWorkspaceParams,
  type RagIngestParams,
  type RagReindexParams,
  type RagSaveEmbeddingsParams,
  type RagSearchParams,
  type UnloadModelResult,
} from "./rein-client.ts";
import type { RequestOptions } from "./client-options.ts";

let defaultClient: ReinClient | undefined;

/**
 * Creates a client with its own worker, logger and policies. The module-level
 * functions (`loadModel`, `completion`, ...) use a shared default client instead.
 *
 * @example
 * ```ts
 * import { createClient, oneAtATimePerModel } from "@rein/sdk";
 * const client = createClient({ threads: 2, policies: { completion: oneAtATimePerModel } });
 * ```
 */
export function createClient(options: ClientOptions = {}): ReinClient {
  return new ReinClient(options);
}

/** The lazily created client behind the module-level functions. */
export function getDefaultClient(): ReinClient {
  defaultClient ??= new ReinClient();
  return defaultClient;
}

/** Loads a model with the default client. See {@link ReinClient.loadModel}. @example `const modelId = await loadModel({ modelSrc: "./model.gguf" });` */
export function loadModel(params: LoadModelParams): DecoratedPromise<string> {
  return getDefaultClient().loadModel(params);
}

/** Unloads a model with the default client. See {@link ReinClient.unloadModel}. @example `await unloadModel({ modelId });` */
export function unloadModel(params: { modelId: string }): Promise<UnloadModelResult> {
  return getDefaultClient().unloadModel(params);
}

/** Starts a completion with the default client. See {@link ReinClient.completion}. @example `const run = completion({ modelId, history });` */
export function completion(params: CompletionParams): CompletionRun {
  return getDefaultClient().completion(params);
}

/** Embeds text with the default client. See {@link ReinClient.embed}. @example `const { vectors } = await embed({ modelId, text: "hi" });` */
export function embed(params: EmbedParams): DecoratedPromise<EmbedResult> {
  return getDefaultClient().embed(params);
}

/** Downloads a file with the default client. See {@link ReinClient.downloadAsset}. @example `const { path } = await downloadAsset({ url });` */
export function downloadAsset(params: DownloadAssetParams): DecoratedPromise<DownloadAssetResult> {
  return getDefaultClient().downloadAsset(params);
}

/** Ingests documents into a workspace with the default client. See {@link ReinClient.ragIngest}. @example `const { chunks } = await ragIngest({ workspace: "notes", modelId, documents: [{ text }] });` */
export function ragIngest(params: RagIngestParams): DecoratedPromise<RagIngestResult> {
  return getDefaultClient().ragIngest(params);
}

/** Stores vectors made elsewhere with the default client. See {@link ReinClient.ragSaveEmbeddings}. @example `await ragSaveEmbeddings({ workspace: "notes", items: [{ id, text, embedding }] });` */
export function ragSaveEmbeddings(params: RagSaveEmbeddingsParams): DecoratedPromise<RagIngestResult> {
  return getDefaultClient().ragSaveEmbeddings(params);
}

/** Searches a workspace with the default client. See {@link ReinClient.ragSearch}. @example `const hits = await ragSearch({ workspace: "notes", modelId, query: "cancel", topK: 3 });` */
export function ragSearch(params: RagSearchParams): DecoratedPromise<RagSearchHit[]> {
  return getDefaultClient().ragSearch(params);
}

/** Re-embeds a workspace with the default client. See {@link ReinClient.ragReindex}. @example `await ragReindex({ workspace: "notes", modelId });` */
export function ragReindex(params: RagReindexParams): DecoratedPromise<RagReindexResult> {
  return getDefaultClient().ragReindex(params);
}

/** Deletes documents from a workspace with the default client. See {@link ReinClient.ragDeleteDocuments}. @example `await ragDeleteDocuments({ workspace: "notes", documentIds: ["a"] });` */
export function ragDeleteDocuments(params: RagDeleteDocumentsParams): DecoratedPromise<RagDeleteDocumentsResult> {
  return getDefaultClient().ragDeleteDocuments(params);
}

/** Lists workspaces with the default client. See {@link ReinClient.ragListWorkspaces}. @example `const workspaces = await ragListWorkspaces();` */
export function ragListWorkspaces(options?: RequestOptions): DecoratedPromise<RagWorkspaceInfo[]> {
  return getDefaultClient().ragListWorkspaces(options);
}

/** Deletes a workspace with the default client. See {@link ReinClient.ragDeleteWorkspace}. @example `await ragDeleteWorkspace({ workspace: "notes" });` */
export function ragDeleteWorkspace(params: RagDeleteWorkspaceParams): DecoratedPromise<RagDeleteWorkspaceResult> {
  return getDefaultClient().ragDeleteWorkspace(params);
}

/** Cancels with the default client. See {@link ReinClient.cancel}. @example `await cancel({ requestId: run.requestId });` */
export function cancel(target: CancelTarget, reason?: CancelReason): Promise<CancelResult> {
  return getDefaultClient().cancel(target, reason);
}

/** Inspects the default client's worker. @example `const { requests } = await inspect();` */
export function inspect(): Promise<WorkerSnapshot> {
  return getDefaultClient().inspect();
}

/** Closes the default client (if it was ever used); a later module-level call starts a new one. @example `await close();` */
export async function close(): Promise<void> {
  const client = defaultClient;
  defaultClient = undefined;
  await client?.close();
}
