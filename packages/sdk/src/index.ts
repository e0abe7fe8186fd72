import { assertAsyncDisposeAvailable } from "@rein/protocol";

// Runs, cancels and clients rely on Symbol.asyncDispose; without it they would leak silently. Fail at import instead.
assertAsyncDisposeAvailable();

export {
  createClient,
  getDefaultClient,
  loadModel,
  unloadModel,
  completion,
  embed,
  downloadAsset,
  ragIngest,
  ragSaveEmbeddings,
  ragSearch,
  ragReindex,
  ragDeleteDocuments,
  ragListWorkspaces,
  ragDeleteWorkspace,
  cancel,
  inspect,
  close,
} from "./client/default-client.ts";
export { ReinClient } from "./client/rein-client.ts";
export type {
  CompletionParams,
  DownloadAssetParams,
  EmbedParams,
  LoadModelParams,
  RagDeleteDocumentsParams,
  RagDeleteWorkspaceParams,
  RagIngestParams,
  RagReindexParams,
  RagSaveEmbeddingsParams,
  RagSearchParams,
  UnloadModelResult,
} from "./client/rein-client.ts";
export type { ClientOptions, ReinLogger, RequestOptions } from "./client/client-options.ts";
export { defaultClientKeyPairFile, openPeerLink, type PeerKeyPair, type PeerLinkOptions } from "./transport/peer-link.ts";
export { CompletionRun } from "./run/completion-run.ts";
export type { CompletionFinal } from "./run/completion-run.ts";
export type { CompletionStep } from "./run/run-history.ts";
export { tool } from "./tools/tool-definition.ts";
export type { Tool, ToolExecuteOptions, ToolSet } from "./tools/tool-definition.ts";
export type { CompletionToolOptions } from "./tools/completion-features.ts";
export type { SchemaInput } from "./tools/json-schema-input.ts";
export { trimGeneratedJsonSchema } from "./tools/json-schema-input.ts";
export { DEFAULT_MAX_STEPS } from "./tools/tool-loop.ts";
export { OpStream } from "./run/op-stream.ts";
export { RequestGroup } from "./run/request-group.ts";
export { nextHistory } from "./run/next-history.ts";
export { handleShutdownSignals } from "./client/signal-handlers.ts";
export type { DecoratedPromise } from "./requests/decorated-promise.ts";
export { THREADS_CLAMPED_WARNING } from "./client/thread-count.ts";
export {
  oneAtATimePerModel,
  ReinError,
  ErrorCode,
  InvalidInputError,
  RequestIdConflictError,
  RequestNotFoundError,
  InferenceCancelledError,
  RequestRejectedByPolicyError,
  RequestTimeoutError,
  ToolCallFailedError,
  findUnsupportedJsonSchemaKeyword,
  SUPPORTED_JSON_SCHEMA_KEYWORDS,
  AsyncDisposeUnavailableError,
  ChecksumMismatchError,
  ContextOverflowError,
  DownloadFailedError,
  ModelLoadFailedError,
  ModelNotFoundError,
  ModelNotLoadedError,
  OperationFailedError,
  ProtocolError,
  PeerUnreachableError,
  PermissionDeniedError,
  ServerUnreachableError,
  UnknownOperationError,
  WorkerCrashedError,
  WorkerShutdownError,
  WorkerStartFailedError,
  WorkspaceNotFoundError,
  WorkspaceLockedError,
  EmbeddingDimensionMismatchError,
} from "@rein/protocol";
export type {
  CancelReason,
  CancelResult,
  CancelTarget,
  ChatMessage,
  CompletionEvent,
  ConcurrencyPolicy,
  CompletionStats,
  DownloadAssetResult,
  EmbedResult,
  ModelConfig,
  PartialOutput,
  ProgressEvent,
  RagChunking,
  RagDeleteDocumentsResult,
  RagDeleteWorkspaceResult,
  RagDocument,
  RagFilter,
  RagIngestResult,
  RagMetadata,
  RagReindexResult,
  RagSearchHit,
  RagWorkspaceInfo,
  RequestKind,
  RequestState,
  StopReason,
  ToolCallData,
  ToolChoice,
  ToolErrorReason,
  LogMessage,
  RequestSnapshot,
  WorkerSnapshot,
} from "@rein/protocol";
