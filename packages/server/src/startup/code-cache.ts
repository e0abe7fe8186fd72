import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";
import { sha256 } from "./lazy-crypto.ts";

/** What happened to the code cache on this start. */
export type CodeCacheUse = "accepted" | "rejected" | "absent";

export interface CachedScriptOptions {
  /** A CommonJS script (the bundled worker), ASCII only (it is read as latin1). */
  file: string;
  /** Where the V8 code caches live (per user); created when missing. */
  cacheDir: string;
  /**
   * Identifies the script's bytes (the build writes a hash of the bundle into the loader). Without it the file is
   * hashed here, which loads node:crypto: ~20 ms of a start, the reason the build computes it instead.
   */
  sourceKey?: string;
  /** `import()` for the script, which it sees as `__reinImport`: a `vm.Script` has no module loader of its own (see import-module.ts). */
  importModule: (specifier: string) => Promise<unknown>;
}

export interface CachedScript {
  /** Whether V8 took the cache for this compile. */
  cache: CodeCacheUse;
  /** The cache file for this script, this Node version and this architecture. */
  cacheFile: string;
  /** Runs the script (once). */
  run(): void;
  /**
   * Writes the cache when this start had none or a rejected one (idempotent): called once the start's work is
   * done, so it holds the functions the start compiled, not only the top level. False when nothing was written.
   */
  writeCache(): boolean;
}

/**
 * Compiles a CommonJS script with a V8 code cache, so a new process skips most of the parse and compile of a
 * large bundle (Node 20 has no `module.enableCompileCache()`). The cache is keyed by the Node version, the
 * architecture and a hash of the script's bytes, given by the caller or computed here (V8 itself only checks the
 * source's length and its flags); a rejected or unreadable cache is ignored and replaced. Writing is atomic (a
 * temporary file renamed into place), and a failure to write only costs the next start its cache.
 *
 * @example
 * ```ts
 * const script = compileCachedScript({ file: "/app/dist/worker-bundle.cjs", cacheDir: "/home/ada/.cache/rein/code-cache", importModule: (specifier) => import(specifier) });
 * script.run();
 * setImmediate(() => script.writeCache());
 * ```
 */
export function compileCachedScript(options: CachedScriptOptions): CachedScript {
  // The bundle is ASCII (bundle-worker.mjs asks esbuild to escape everything else), so latin1 reads the same
  // string as UTF-8 would, and V8 builds it as a one-byte string without decoding: 1-3 ms of a start.
  const source = readFileSync(options.file, "latin1");
  const key = options.sourceKey ?? sha256().update(source, "latin1").digest("hex").slice(0, 20);
  const prefix = `worker-${process.versions.node}-${process.arch}-`;
  const cacheFile = path.join(options.cacheDir, `${prefix}${key}.bin`);
  const cachedData = readOptional(cacheFile);
  // Node's CommonJS wrapper (require, module, __filename...) plus the borrowed import().
  const wrapped = `(function (exports, require, module, __filename, __dirname, __reinImport) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: options.file, cachedData });
  const cache: CodeCacheUse = cachedData === undefined ? "absent" : script.cachedDataRejected === true ? "rejected" : "accepted";
  let ran = false;
  let written = cache === "accepted";
  return {
    cache,
    cacheFile,
    run() {
      if (ran) return;
      ran = true;
      type Wrapper = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string, importModule: (specifier: string) => Promise<unknown>) => void;
      const wrapper = script.runInThisContext() as Wrapper;
      const module = { exports: {} };
      wrapper.call(module.exports, module.exports, createRequire(options.file), module, options.file, path.dirname(options.file), options.importModule);
    },
    writeCache() {
      if (written) return false;
      written = true;
      return writeCache({ script, cacheFile, prefix });
    },
  };
}

function readOptional(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeCache(options: { script: vm.Script; cacheFile: string; prefix: string }): boolean {
  const directory = path.dirname(options.cacheFile);
  const temporary = `${options.cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(directory, { recursive: true });
    writeFileSync(temporary, options.script.createCachedData());
    renameSync(temporary, options.cacheFile);
    // An older bundle's cache for this Node version is dead weight (~0.5 MB): drop it.
    for (const name of readdirSync(directory)) {
      if (name.startsWith(options.prefix) && name.endsWith(".bin") && name !== path.basename(options.cacheFile)) unlinkSync(path.join(directory, name));
    }
    return true;
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // Nothing was written.
    }
    return false;
  }
}
