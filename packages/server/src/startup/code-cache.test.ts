import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCachedScript } from "./code-cache.ts";

/** A CommonJS script that reports what it saw through a global, as the worker bundle reports through its pipe. */
const script = (marker: string) => `
globalThis.__codeCacheTest = { marker: ${JSON.stringify(marker)}, filename: __filename, hasRequire: typeof require("node:path").join === "function" };
globalThis.__codeCacheImport = __reinImport("node:os");
${"function filler(value) { return value * 2 + 1; }\n".repeat(200)}`;

interface Seen {
  marker: string;
  filename: string;
  hasRequire: boolean;
}
const seen = () => (globalThis as { __codeCacheTest?: Seen }).__codeCacheTest;

/**
 * V8 keeps compiled scripts in memory per process, keyed by source and file name: a second start from the same
 * path would be served from there and never look at the cache file. A worker is a new process each time; here a
 * copy of the script under another name stands in for that.
 */
async function restartFrom(file: string, name: string): Promise<string> {
  const copy = path.join(path.dirname(file), name);
  await writeFile(copy, await readFile(file));
  return copy;
}

async function waitForFile(directory: string): Promise<string[]> {
  // The write is a timer in the same process: poll its result (bounded by the test timeout), no fixed sleep.
  for (;;) {
    const names = await readdir(directory).catch(() => [] as string[]);
    if (names.some((name) => name.endsWith(".bin"))) return names;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("runCachedScript", () => {
  let directory: string;
  let file: string;
  let cacheDir: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "rein-code-cache-"));
    file = path.join(directory, "bundle.cjs");
    cacheDir = path.join(directory, "cache");
    await writeFile(file, script("first"));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("runs the script with require, __filename and the lent import(), then writes a cache that the next start accepts", async () => {
    const imported: string[] = [];
    const importModule = (specifier: string) => {
      imported.push(specifier);
      return import(specifier);
    };
    const first = runCachedScript({ file, cacheDir, importModule, writeAfterMs: 0 });
    expect(first.cache).toBe("absent");
    expect(seen()).toEqual({ marker: "first", filename: file, hasRequire: true });
    expect(imported).toEqual(["node:os"]);
    const names = await waitForFile(cacheDir);
    expect(names).toEqual([path.basename(first.cacheFile)]);
    expect(first.cacheFile).toContain(`worker-${process.versions.node}-${process.arch}-`);

    const second = runCachedScript({ file: await restartFrom(file, "restart.cjs"), cacheDir, importModule, writeAfterMs: 0 });
    expect(second).toEqual({ cache: "accepted", cacheFile: first.cacheFile });
    expect(seen()?.marker).toBe("first");
  });

  it("a changed script gets a cache of its own (the key hashes its bytes) and the old one is dropped", async () => {
    const first = runCachedScript({ file, cacheDir, importModule: (specifier) => import(specifier), writeAfterMs: 0 });
    await waitForFile(cacheDir);
    // Same length, different bytes: V8's own check (the source length) would not notice.
    await writeFile(file, script("other"));
    const second = runCachedScript({ file, cacheDir, importModule: (specifier) => import(specifier), writeAfterMs: 0 });
    expect(second.cache).toBe("absent");
    expect(second.cacheFile).not.toBe(first.cacheFile);
    expect(seen()?.marker).toBe("other");
    for (;;) {
      const names = await readdir(cacheDir);
      if (names.length === 1 && names[0] === path.basename(second.cacheFile)) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
  });

  it("a corrupt cache is rejected, the script still runs, and the cache is rewritten", async () => {
    const first = runCachedScript({ file, cacheDir, importModule: (specifier) => import(specifier), writeAfterMs: 0 });
    await waitForFile(cacheDir);
    const good = await readFile(first.cacheFile);
    await writeFile(first.cacheFile, Buffer.alloc(good.length, 7));
    const second = runCachedScript({ file: await restartFrom(file, "restart.cjs"), cacheDir, importModule: (specifier) => import(specifier), writeAfterMs: 0 });
    expect(second.cache).toBe("rejected");
    expect(seen()?.marker).toBe("first");
    for (;;) {
      const bytes = await readFile(second.cacheFile);
      if (bytes[0] !== 7) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(runCachedScript({ file: await restartFrom(file, "third-start.cjs"), cacheDir, importModule: (specifier) => import(specifier), writeAfterMs: 0 }).cache).toBe("accepted");
  });

  it("a cache directory that cannot be created costs only the cache", async () => {
    const blocked = path.join(directory, "a-file");
    await writeFile(blocked, "");
    const result = runCachedScript({ file, cacheDir: path.join(blocked, "cache"), importModule: (specifier) => import(specifier), writeAfterMs: 0 });
    expect(result.cache).toBe("absent");
    expect(seen()?.marker).toBe("first");
  });
});
