export { Command, Event, MAX_PAYLOAD_BYTES, OP_NAME_PATTERN, PROTOCOL_VERSION, WORKER_EXTRA_CA_CERTS_ENV, WorkerExitCode } from "./commands.ts";
export { REQUEST_KINDS, REQUEST_STATES, TERMINAL_STATES } from "./request-kinds.ts";
export type { RequestKind, RequestState } from "./request-kinds.ts";
export type {
  CompletionEvent,
  CompletionStats,
  PartialOutput,
  ToolCallData,
  ToolErrorReason,
  ProgressEvent,
  SerializedErrorData,
  StopReason,
} from "./events.ts";

export { ErrorCode } from "./errors/error-codes.ts";
export type { ErrorCodeName, ErrorCodeValue } from "./errors/error-codes.ts";
export { ReinError } from "./errors/rein-error.ts";
export type { ReinErrorClass, ReinErrorOptions } from "./errors/rein-error.ts";
export {
  InferenceCancelledError,
  InvalidInputError,
  RequestIdConflictError,
  RequestNotFoundError,
  RequestRejectedByPolicyError,
  RequestTimeoutError,
  ToolCallFailedError,
} from "./errors/error-classes.ts";
export type { CancelReason, PolicyRule } from "./errors/error-classes.ts";
export {
  AsyncDisposeUnavailableError,
  ChecksumMismatchError,
  ContextOverflowError,
  DownloadFailedError,
  ModelLoadFailedError,
  ModelNotFoundError,
  ModelNotLoadedError,
  OperationFailedError,
  ProtocolError,
  UnknownOperationError,
  WorkerCrashedError,
  WorkerShutdownError,
  WorkerStartFailedError,
} from "./errors/runtime-errors.ts";
export type { DownloadFailureKind } from "./errors/runtime-errors.ts";
export { PeerUnreachableError, PermissionDeniedError, ServerUnreachableError } from "./errors/remote-errors.ts";
export { EmbeddingDimensionMismatchError, WorkspaceLockedError, WorkspaceNotFoundError } from "./errors/rag-errors.ts";
export { deserializeError, KNOWN_ERROR_CODES, serializeError } from "./errors/serialize-error.ts";

export { parseInput } from "./schemas/parse-input.ts";
export {
  fileNameSchema,
  httpUrlSchema,
  modelIdSchema,
  requestIdSchema,
  sha256Schema,
  timeoutMsSchema,
} from "./schemas/common.ts";
export {
  loadModelInputSchema,
  modelConfigSchema,
  modelSrcSchema,
  unloadModelInputSchema,
} from "./schemas/model-schemas.ts";
export type { LoadModelInput, ModelConfig, UnloadModelInput } from "./schemas/model-schemas.ts";
export { chatMessageSchema, completionInputSchema } from "./schemas/completion-schemas.ts";
export type { ChatMessage, CompletionInput } from "./schemas/completion-schemas.ts";
export {
  grammarJsonSchema,
  responseFormatSchema,
  TOOL_NAME_PATTERN,
  toolCallSchema,
  toolChoiceSchema,
  toolDefinitionSchema,
  toolResultSchema,
  toolResultsInputSchema,
} from "./schemas/tool-schemas.ts";
export type { ResponseFormat, ToolCall, ToolChoice, ToolDefinition, ToolResultsInput } from "./schemas/tool-schemas.ts";
export { findUnsupportedJsonSchemaKeyword, SUPPORTED_JSON_SCHEMA_KEYWORDS } from "./schemas/json-schema-subset.ts";
export type { JsonSchemaSubsetIssue } from "./schemas/json-schema-subset.ts";
export { embedInputSchema } from "./schemas/embed-schemas.ts";
export type { EmbedInput, EmbedResult } from "./schemas/embed-schemas.ts";
export { downloadAssetInputSchema } from "./schemas/download-schemas.ts";
export type { DownloadAssetInput, DownloadAssetResult } from "./schemas/download-schemas.ts";
export {
  ragChunkingSchema,
  ragDeleteDocumentsInputSchema,
  ragDeleteWorkspaceInputSchema,
  ragDocumentSchema,
  ragFilterSchema,
  ragIngestInputSchema,
  ragListWorkspacesInputSchema,
  ragMetadataSchema,
  ragReindexInputSchema,
  ragSaveEmbeddingsInputSchema,
  ragSearchInputSchema,
  workspaceNameSchema,
} from "./schemas/rag-schemas.ts";
export type {
  RagChunking,
  RagDeleteDocumentsInput,
  RagDeleteDocumentsResult,
  RagDeleteWorkspaceInput,
  RagDeleteWorkspaceResult,
  RagDocument,
  RagFilter,
  RagIngestInput,
  RagIngestResult,
  RagMetadata,
  RagReindexInput,
  RagReindexResult,
  RagSaveEmbeddingsInput,
  RagSearchHit,
  RagSearchInput,
  RagWorkspaceInfo,
} from "./schemas/rag-schemas.ts";
export { cancelTargetSchema, normalizeCancelTarget, parseCancelTarget } from "./schemas/cancel-schemas.ts";
export { cancelByIdMessage, cancelByIdTarget } from "./schemas/cancel-fast-path.ts";
export { callMessageFast, plainCompletionInput } from "./schemas/completion-fast-path.ts";
export { handshakeFast } from "./schemas/handshake-fast-path.ts";
export type { CancelByIdMessage } from "./schemas/cancel-fast-path.ts";
export type { CancelResult, CancelTarget, NormalizedCancelTarget } from "./schemas/cancel-schemas.ts";
export { callMessageSchema, cancelMessageSchema, handshakeMessageSchema, handshakeVersionSchema, MAX_DEFAULT_THREADS, workerConfigSchema } from "./wire.ts";
export type {
  CallMessage,
  CallReply,
  CancelMessage,
  Frame,
  FrameMessage,
  GoodbyeMessage,
  HandshakeMessage,
  HandshakeReply,
  LogMessage,
  RequestSnapshot,
  WorkerConfig,
  WorkerSnapshot,
  WorkerStatus,
} from "./wire.ts";
export { decodeJson, encodeJson } from "./json-codec.ts";
export { assertAsyncDisposeAvailable } from "./runtime-guard.ts";
export { createFrameReader } from "./frame-reader.ts";
export type { FrameReader, FrameReaderOptions } from "./frame-reader.ts";
export { createFramedChannel, FramedChannel } from "./framed-channel.ts";
export type { FramedChannelOptions } from "./framed-channel.ts";
export { checkRpcMessage } from "./rpc-message-check.ts";
export type { RpcMessageCheck } from "./rpc-message-check.ts";
export { oneAtATimePerModel } from "./concurrency-policy.ts";
export type { ConcurrencyPolicy } from "./concurrency-policy.ts";
export { defaultCacheDir, type CacheDirContext } from "./default-cache-dir.ts";
