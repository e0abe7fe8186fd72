import path from "node:path";
import { pathToFileURL } from "node:url";
import { WorkerStartFailedError } from "@rein/protocol";
import { importModule } from "../startup/import-module.ts";
import type { AnyOpDefinition } from "./define-op.ts";

/** Adds `op` to `ops`; two ops with one name are a start failure, never a silent override. */
export function registerOp(ops: Map<string, AnyOpDefinition>, op: AnyOpDefinition): void {
  if (ops.has(op.name)) throw new WorkerStartFailedError({ reason: `two ops are named "${op.name}"` });
  ops.set(op.name, op);
}

function isOpDefinition(value: unknown): value is AnyOpDefinition {
  const candidate = value as Partial<AnyOpDefinition> | null;
  return typeof candidate === "object" && candidate !== null && typeof candidate.name === "string" && typeof candidate.run === "function" && typeof candidate.kind === "string" && candidate.input !== undefined;
}

/** Imports a module (a path or file URL) and returns the op definitions it exports. */
export async function importOps(moduleSource: string): Promise<AnyOpDefinition[]> {
  const specifier = /^file:/.test(moduleSource) ? moduleSource : pathToFileURL(path.resolve(moduleSource)).href;
  let exported: Record<string, unknown>;
  try {
    exported = await importModule<Record<string, unknown>>(specifier);
  } catch (error) {
    throw new WorkerStartFailedError({ reason: `could not import op module ${moduleSource}: ${String(error)}`, cause: error });
  }
  const values = Object.values(exported).flatMap((value) => (Array.isArray(value) ? value : [value]));
  const found = values.filter(isOpDefinition);
  if (found.length === 0) throw new WorkerStartFailedError({ reason: `op module ${moduleSource} exports no op definitions` });
  return [...new Set(found)];
}

