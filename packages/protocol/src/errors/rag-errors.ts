import { ErrorCode } from "./error-codes.ts";
import { ReinError, type ReinErrorOptions } from "./rein-error.ts";

const text = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);
const count = (value: unknown): number => (typeof value === "number" ? value : 0);
const nullableNumber = (value: unknown): number | null => (typeof value === "number" ? value : null);

/** A RAG op named a workspace that was never written (or was deleted). */
export class WorkspaceNotFoundError extends ReinError {
  static override readonly code = ErrorCode.WorkspaceNotFound;
  override name = "WorkspaceNotFoundError";
  readonly workspace: string;
  /** The input field that named it (`workspace`). */
  readonly field: string;
  constructor(fields: { workspace: string; field?: string } & ReinErrorOptions) {
    super(fields.message ?? `Workspace "${fields.workspace}" does not exist (field "${fields.field ?? "workspace"}"); ragIngest or ragSaveEmbeddings creates it`, fields);
    this.workspace = text(fields.workspace);
    this.field = text(fields.field, "workspace");
  }
  override toFields() {
    return { workspace: this.workspace, field: this.field };
  }
}

/**
 * Another process holds the workspace's data directory. Two PGlite instances on one directory silently lose
 * one side's writes, so the second opener is refused instead.
 */
export class WorkspaceLockedError extends ReinError {
  static override readonly code = ErrorCode.WorkspaceLocked;
  override name = "WorkspaceLockedError";
  readonly workspace: string;
  readonly field: string;
  /** The process that holds the lock, when its lock file could be read. */
  readonly ownerPid: number | null;
  readonly lockPath: string;
  constructor(fields: { workspace: string; field?: string; ownerPid?: number | null; lockPath?: string } & ReinErrorOptions) {
    super(
      fields.message ??
        `Workspace "${fields.workspace}" (field "${fields.field ?? "workspace"}") is locked by process ${fields.ownerPid ?? "?"} (${fields.lockPath ?? "lock file"}); close the other Rein worker first`,
      fields,
    );
    this.workspace = text(fields.workspace);
    this.field = text(fields.field, "workspace");
    this.ownerPid = nullableNumber(fields.ownerPid);
    this.lockPath = text(fields.lockPath);
  }
  override toFields() {
    return { workspace: this.workspace, field: this.field, ownerPid: this.ownerPid, lockPath: this.lockPath };
  }
}

/** A vector (given, or made by the model) does not have the dimension the workspace stores. */
export class EmbeddingDimensionMismatchError extends ReinError {
  static override readonly code = ErrorCode.EmbeddingDimensionMismatch;
  override name = "EmbeddingDimensionMismatchError";
  readonly workspace: string;
  /** The input field the vector came from: `items.3.embedding`, or `modelId` for a model's vectors. */
  readonly field: string;
  readonly expected: number;
  readonly actual: number;
  constructor(fields: { workspace: string; field: string; expected: number; actual: number } & ReinErrorOptions) {
    super(
      fields.message ??
        `"${fields.field}" has ${fields.actual} dimensions, but workspace "${fields.workspace}" stores ${fields.expected}; use ragReindex to change the model`,
      fields,
    );
    this.workspace = text(fields.workspace);
    this.field = text(fields.field);
    this.expected = count(fields.expected);
    this.actual = count(fields.actual);
  }
  override toFields() {
    return { workspace: this.workspace, field: this.field, expected: this.expected, actual: this.actual };
  }
}
