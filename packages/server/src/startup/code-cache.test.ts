import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compileCachedScript } from "./code-cache.ts";

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
const importModule = (specifier: string) => import(specifier);

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

describe("compileCachedScript", () => {
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

  it("runs the script with require, __filename and the lent import(), writes a cache once, and the next start accepts it", async () => {
    const imported: string[] = [];
    const first = compileCachedScript({ file, cacheDir, importModule: (specifier) => (imported.push(specifier), import(specifier)) });
    expect(first.cache).toBe("absent");
    first.run();
    first.run();
    expect(seen()).toEqual({ marker: "first", filename: file, hasRequire: true });
    expect(imported).toEqual(["node:os"]);
    expect(first.writeCache()).toBe(true);
    expect(first.writeCache()).toBe(false);
    expect(await readdir(cacheDir)).toEqual([path.basename(first.cacheFile)]);
    expect(first.cacheFile).toContain(`worker-${process.versions.node}-${process.arch}-`);

    const second = compileCachedScript({ file: await restartFrom(file, "restart.cjs"), cacheDir, importModule });
    expect(second.cache).toBe("accepted");
    expect(second.cacheFile).toBe(first.cacheFile);
    expect(second.writeCache()).toBe(false);
    second.run();
    expect(seen()?.marker).toBe("first");
  });

  it("a changed script gets a cache of its own (the key hashes its bytes) and the old one is dropped", async () => {
    const first = compileCachedScript({ file, cacheDir, importModule });
    first.writeCache();
    // Same length, different bytes: V8's own check (the source length) would not notice.
    await writeFile(file, script("other"));
    const second = compileCachedScript({ file, cacheDir, importModule });
    expect(second.cache).toBe("absent");
    expect(second.cacheFile).not.toBe(first.cacheFile);
    second.run();
    expect(seen()?.marker).toBe("other");
    second.writeCache();
    expect(await readdir(cacheDir)).toEqual([path.basename(second.cacheFile)]);
  });

  it("a key given by the build names the cache instead of a hash of the file, and a new key starts a new cache", async () => {
    const first = compileCachedScript({ file, cacheDir, sourceKey: "build-key-1", importModule });
    expect(path.basename(first.cacheFile)).toBe(`worker-${process.versions.node}-${process.arch}-build-key-1.bin`);
    first.run();
    first.writeCache();
    expect(compileCachedScript({ file: await restartFrom(file, "restart.cjs"), cacheDir, sourceKey: "build-key-1", importModule }).cache).toBe("accepted");
    const rebuilt = compileCachedScript({ file: await restartFrom(file, "rebuilt.cjs"), cacheDir, sourceKey: "build-key-2", importModule });
    expect(rebuilt.cache).toBe("absent");
    expect(rebuilt.cacheFile).not.toBe(first.cacheFile);
  });

  it("a corrupt cache is rejected, the script still runs, and the cache is rewritten", async () => {
    const first = compileCachedScript({ file, cacheDir, importModule });
    first.writeCache();
    const good = await readFile(first.cacheFile);
    await writeFile(first.cacheFile, Buffer.alloc(good.length, 7));
    const second = compileCachedScript({ file: await restartFrom(file, "restart.cjs"), cacheDir, importModule });
    expect(second.cache).toBe("rejected");
    second.run();
    expect(seen()?.marker).toBe("first");
    expect(second.writeCache()).toBe(true);
    expect((await readFile(second.cacheFile))[0]).not.toBe(7);
    expect(compileCachedScript({ file: await restartFrom(file, "third-start.cjs"), cacheDir, importModule }).cache).toBe("accepted");
  });

  it("a cache directory that cannot be created costs only the cache", async () => {
    const blocked = path.join(directory, "a-file");
    await writeFile(blocked, "");
    const result = compileCachedScript({ file, cacheDir: path.join(blocked, "cache"), importModule });
    expect(result.cache).toBe("absent");
    result.run();
    expect(seen()?.marker).toBe("first");
    expect(result.writeCache()).toBe(false);
    expect(await readdir(directory)).not.toContain("cache");
  });
});
