// The worker process the SDK spawns from the built packages: the bundled worker (dist/worker-bundle.cjs, made by
// bundle-worker.mjs from worker-entry.ts) compiled with a V8 code cache in the per-user cache directory, which
// saves most of its compile on every start after the first. The worker writes the cache once its engine is warm
// (worker-host.ts). The repository's own tests run worker-entry.ts instead.
//
// bundle-worker.mjs also turns this file into dist/worker-start.cjs, which is what the SDK runs: a CommonJS entry
// never starts Node's ES module loader before the handshake (resolving and translating this file's few imports
// through it was 15-85 ms of a start on a 2-core machine), and the build writes the bundle's hash in, so the
// cache's key costs no hashing (and no node:crypto) at run time.
import path from "node:path";
import { fileURLToPath } from "node:url";
// The subpath, not "@rein/protocol": the package's index loads zod and the whole protocol, and this loader runs
// before the bundle (which has its own copy): importing the index here cost ~180 ms and ~16 MiB per worker start.
import { defaultCacheDir } from "@rein/protocol/default-cache-dir";
import { compileCachedScript } from "./startup/code-cache.ts";
import { publishWorkerStart } from "./startup/worker-start-info.ts";

/** The bundle's hash, written in by bundle-worker.mjs; absent when this file runs as tsc emitted it. */
declare const __REIN_BUNDLE_KEY__: string | undefined;

const script = compileCachedScript({
  file: fileURLToPath(new URL("./worker-bundle.cjs", import.meta.url)),
  cacheDir: path.join(defaultCacheDir(), "code-cache"),
  sourceKey: typeof __REIN_BUNDLE_KEY__ === "string" ? __REIN_BUNDLE_KEY__ : undefined,
  importModule: (specifier) => import(specifier),
});
publishWorkerStart({ codeCache: script.cache, writeCodeCache: () => script.writeCache() });
script.run();
