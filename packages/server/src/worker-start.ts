// The worker process the SDK spawns from the built packages: the bundled worker (dist/worker-bundle.cjs, made by
// bundle-worker.mjs from worker-entry.ts) run with a V8 code cache in the per-user cache directory, which saves
// most of its compile on every start after the first. The repository's own tests run worker-entry.ts instead.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defaultCacheDir } from "./download/default-cache-dir.ts";
import { runCachedScript } from "./startup/code-cache.ts";

runCachedScript({
  file: fileURLToPath(new URL("./worker-bundle.cjs", import.meta.url)),
  cacheDir: path.join(defaultCacheDir(), "code-cache"),
  importModule: (specifier) => import(specifier),
});
