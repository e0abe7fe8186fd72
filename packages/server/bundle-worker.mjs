// Bundles the worker process entry into one CommonJS file (dist/worker-bundle.cjs), run by `npm run build` after tsc.
// Why one file: a worker that loads ~200 small ES modules (ours, zod, bare-rpc) spends most of its start in Node's
// module loader; one file answers the handshake in about half the time (measured in bench/, "cold start").
// Why CommonJS: dist/worker-start.cjs runs it as a vm.Script with a V8 code cache, which Node 20 offers for scripts
// only (no module.enableCompileCache() before Node 22); `import.meta.url` becomes the bundle's own file URL.
// node-llama-cpp stays external: it is native, large, and loaded only after the handshake. PGlite (WASM + data
// files it finds beside its own module) is never reached from the entry: the RAG store thread loads it, and that
// thread runs dist/store/store-thread-main.js (tsc's output, found next to the bundle), not this bundle.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

// A vm.Script's own import() needs --experimental-vm-modules on Node 20: the bundle's dynamic imports go through
// the `__reinImport` that dist/worker-start.cjs (the loader) hands the script (see src/startup/import-module.ts).
const loaderImport = {
  name: "rein-loader-import",
  setup(builder) {
    builder.onLoad({ filter: /[\\/]startup[\\/]import-module\.js$/ }, () => ({
      contents: "export function importModule(specifier) { return __reinImport(specifier); }",
      loader: "js",
    }));
  },
};

// zod's `z` namespace re-exports all ~40 of its locales (`z.locales`), which esbuild cannot drop: ~260 KB of the
// bundle that the worker never uses (zod configures `en` itself, and neither we nor the bundled code ask for another).
// Op modules bring their own zod. Measured: 635 -> 374 KB; a few ms per start with the code cache, more without.
const englishOnly = {
  name: "rein-zod-english-only",
  setup(builder) {
    builder.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
    }));
  },
};

await build({
  entryPoints: ["dist/worker-entry.js"],
  outfile: "dist/worker-bundle.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["node-llama-cpp", "@electric-sql/pglite", "@electric-sql/pglite-pgvector"],
  minify: true,
  // ASCII only (esbuild's default, stated because dist/worker-start.cjs reads the bundle as latin1).
  charset: "ascii",
  sourcemap: true,
  sourcesContent: true,
  legalComments: "linked",
  logLevel: "warning",
  define: { "import.meta.url": "__reinBundleUrl" },
  banner: { js: 'var __reinBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [loaderImport, englishOnly],
});

// The loader the SDK spawns (see src/worker-start.ts): tsc's dist/worker-start.js as one CommonJS file,
// dist/worker-start.cjs, with the bundle's hash written in as the key of its V8 code cache.
const bundleKey = createHash("sha256").update(readFileSync("dist/worker-bundle.cjs")).digest("hex").slice(0, 20);
await build({
  entryPoints: ["dist/worker-start.js"],
  outfile: "dist/worker-start.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
  define: { "import.meta.url": "__reinLoaderUrl", __REIN_BUNDLE_KEY__: JSON.stringify(bundleKey) },
  banner: { js: 'var __reinLoaderUrl = require("node:url").pathToFileURL(__filename).href;' },
});
// Its types: the entry exports nothing, and a CommonJS file needs CommonJS declarations beside it.
writeFileSync("dist/worker-start.d.cts", "// The worker process's entry: run by the SDK, exports nothing.\nexport {};\n");
