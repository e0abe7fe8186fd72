import path from "node:path";
import type { ResolvedModelConfig } from "./model-config.ts";
import { sha256 } from "../startup/lazy-crypto.ts";

/**
 * The model id is a pure function of where the model comes from and how it is
 * configured, so loading the same model twice yields the same id (and a second
 * reference) and an app can compute the id it must unload after a crash.
 * Threads and prefill chunking do not change what the model computes, but they
 * do change the native context, so they are part of the id too.
 */
export function modelIdFor(source: string, config: ResolvedModelConfig): string {
  const canonicalSource = /^https?:\/\//i.test(source) ? source : path.resolve(source);
  const canonicalConfig = JSON.stringify(Object.entries(config).sort(([a], [b]) => a.localeCompare(b)));
  const digest = sha256().update(canonicalSource).update("\0").update(canonicalConfig).digest("hex");
  const base = path
    .basename(canonicalSource.split("?")[0] ?? canonicalSource)
    .replace(/\.gguf$/i, "")
    .replace(/[^\w.-]+/g, "-")
    .slice(0, 48);
  return `${base || "model"}-${digest.slice(0, 12)}`;
}
