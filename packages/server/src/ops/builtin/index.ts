import type { AnyOpDefinition } from "../define-op.ts";
import { completionOp } from "./completion-op.ts";
import { downloadAssetOp } from "./download-asset-op.ts";
import { embedOp } from "./embed-op.ts";
import { groupOp } from "./group-op.ts";
import { loadModelOp } from "./load-model-op.ts";

/** The ops every worker runs; an application's own ops are added beside them. */
export const builtinOps: readonly AnyOpDefinition[] = [completionOp, embedOp, loadModelOp, downloadAssetOp, groupOp];
