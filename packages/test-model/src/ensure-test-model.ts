import { access, mkdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  resolveTestModelOptions,
  testModelFileName,
  type TestModelOptions,
} from "./test-model-options.ts";
import { writeTestModel } from "./write-test-model.ts";

export interface EnsureTestModelOptions extends TestModelOptions {
  /** Directory of the cached models; see {@link defaultTestModelCacheDir} for the default. */
  cacheDir?: string;
}

async function exists(filePath: string): Promise<boolean> {
  try {
    await access(filePath);
    return true;
  } catch {
    return false;
  }
}

async function isWorkspaceRoot(directory: string): Promise<boolean> {
  try {
    const manifest: unknown = JSON.parse(await readFile(path.join(directory, "package.json"), "utf8"));
    return typeof manifest === "object" && manifest !== null && "workspaces" in manifest;
  } catch {
    return false;
  }
}

async function findWorkspaceRoot(startDirectory: string): Promise<string | undefined> {
  let directory = startDirectory;
  for (;;) {
    if (await isWorkspaceRoot(directory)) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/**
 * Where {@link ensureTestModel} keeps models: `$REIN_CACHE_DIR/models` when that variable is set,
 * else `<repository root>/.cache/rein-models` (the root is the nearest directory above this package
 * whose package.json declares workspaces), else `<os temp dir>/rein-models`.
 *
 * @example
 * console.log(await defaultTestModelCacheDir()); // e.g. /work/main/.cache/rein-models
 */
export async function defaultTestModelCacheDir(): Promise<string> {
  const fromEnvironment = process.env["REIN_CACHE_DIR"];
  if (fromEnvironment !== undefined && fromEnvironment !== "") {
    return path.resolve(fromEnvironment, "models");
  }
  const root = await findWorkspaceRoot(path.dirname(fileURLToPath(import.meta.url)));
  return root === undefined ? path.join(os.tmpdir(), "rein-models") : path.join(root, ".cache", "rein-models");
}

// Concurrent calls in one process share one generation instead of each writing the file.
const pendingByPath = new Map<string, Promise<string>>();

async function generateUnlessPresent(modelPath: string, options: TestModelOptions): Promise<string> {
  if (await exists(modelPath)) return modelPath;
  try {
    await writeTestModel(modelPath, options);
  } catch (error) {
    // Another process may have won the race (a rename over an open file fails on Windows); its file is identical.
    if (await exists(modelPath)) return modelPath;
    throw error;
  }
  return modelPath;
}

/**
 * Returns the absolute path of a cached test model, generating it on first use. The file name holds
 * the options and the generator version, so a changed generator never serves stale files. Safe to
 * call from several processes at once: each writes a private temporary file and renames it into
 * place, and identical options produce identical bytes.
 *
 * @example
 * const modelPath = await ensureTestModel({ preset: "tiny", emitsEos: true });
 * const model = await llama.loadModel({ modelPath });
 */
export async function ensureTestModel(options: EnsureTestModelOptions = {}): Promise<string> {
  const resolved = resolveTestModelOptions(options);
  const cacheDirectory = path.resolve(options.cacheDir ?? (await defaultTestModelCacheDir()));
  await mkdir(cacheDirectory, { recursive: true });
  const modelPath = path.join(cacheDirectory, testModelFileName(resolved));

  const pending = pendingByPath.get(modelPath);
  if (pending !== undefined) return pending;
  const generation = generateUnlessPresent(modelPath, resolved).finally(() => pendingByPath.delete(modelPath));
  pendingByPath.set(modelPath, generation);
  return generation;
}
