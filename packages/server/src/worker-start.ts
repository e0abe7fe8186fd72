// The worker process the SDK spawns from the built packages: the bundled worker (dist/worker-bundle.cjs, made by
// bundle-worker.mjs from worker-entry.ts) compiled with a V8 code cache in the per-user cache directory, which
// saves most of its compile on every start after the first. The worker writes the cache once its engine is warm
// (worker-host.ts). The repository's own tests run worker-entry.ts instead.
import path from "node:path";
import { fileURLToPath } from "node:url";
// The subpath, not "@rein/protocol": the package's index builds every zod schema, and this loader runs before the
// bundle (which has its own copy): importing the index here cost ~180 ms and ~16 MiB on every worker start.
import { defaultCacheDir } from "@rein/protocol/default-cache-dir";
import { compileCachedScript } from "./startup/code-cache.ts";
import { publishWorkerStart } from "./startup/worker-start-info.ts";

const script = compileCachedScript({
  file: fileURLToPath(new URL("./worker-bundle.cjs", import.meta.url)),
  cacheDir: path.join(defaultCacheDir(), "code-cache"),
  importModule: (specifier) => import(specifier),
});
publishWorkerStart({ codeCache: script.cache, writeCodeCache: () => script.writeCache() });
script.run();
