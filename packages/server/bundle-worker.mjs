// Bundles the worker process entry into one file (dist/worker-bundle.js), run by `npm run build` after tsc.
// Why: a worker that loads ~200 small ES modules (ours, zod, bare-rpc) spends most of its start in Node's module
// loader; one file answers the handshake in about half the time (measured in bench/, "cold start").
// node-llama-cpp stays external: it is native, large, and loaded only after the handshake. PGlite (WASM + data
// files it finds beside its own module) is never reached from the entry: the RAG store thread loads it, and that
// thread runs dist/store/store-thread-main.js (tsc's output, found next to the bundle), not this bundle.
import { build } from "esbuild";

await build({
  entryPoints: ["dist/worker-entry.js"],
  outfile: "dist/worker-bundle.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["node-llama-cpp", "@electric-sql/pglite", "@electric-sql/pglite-pgvector"],
  minify: true,
  sourcemap: true,
  sourcesContent: true,
  legalComments: "linked",
  logLevel: "warning",
  // Bundled CommonJS dependencies (bare-rpc's) call require(): give the ES module bundle one.
  banner: { js: 'import { createRequire as __reinCreateRequire } from "node:module"; const require = __reinCreateRequire(import.meta.url);' },
});
