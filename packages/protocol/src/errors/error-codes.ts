/**
 * The single table of Rein error codes. Codes are stable across releases and
 * cross the process boundary; the class names are only for humans.
 *
 * Ranges follow the design card: 50xxx client/transport/input, 52xxx request and
 * model lifecycle, 53xxx downloads and runtime.
 */
export const ErrorCode = {
  Generic: 50000,
  InvalidInput: 50001,
  WorkerCrashed: 50200,
  WorkerShutdown: 50201,
  WorkerStartFailed: 50202,
  Protocol: 50203,
  ServerUnreachable: 50204,
  PeerUnreachable: 50205,
  PermissionDenied: 50403,
  ModelNotFound: 52001,
  ModelNotLoaded: 52003,
  ModelLoadFailed: 52200,
  RequestIdConflict: 52417,
  RequestNotFound: 52418,
  InferenceCancelled: 52419,
  RequestRejectedByPolicy: 52420,
  ContextOverflow: 52421,
  RequestTimeout: 52422,
  UnknownOperation: 52423,
  ToolCallFailed: 52424,
  OperationFailed: 52500,
  WorkspaceNotFound: 52601,
  WorkspaceLocked: 52602,
  EmbeddingDimensionMismatch: 52603,
  DownloadFailed: 53000,
  ChecksumMismatch: 53002,
  AsyncDisposeUnavailable: 53503,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];
