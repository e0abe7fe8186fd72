/**
 * Builds a fresh npm project outside the repository that depends on the packed tarballs of every Rein package,
 * and installs it offline from the local npm cache.
 *
 * Without a lockfile, `npm install --offline` would need the registry metadata of every dependency, which a cache filled by
 * `npm ci` does not hold (it keeps tarballs only). So the project gets a lockfile instead: the repository's own
 * lockfile entries for the run-time dependencies (same versions, same integrity hashes), plus the Rein tarballs;
 * `npm install --offline` then needs nothing but cached tarballs.
 *
 * @example
 * ```ts
 * const project = await createOfflineProject({ directory, packages: await packWorkspaces(packDirectory) });
 * ```
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface PackedPackage {
  name: string;
  /** The workspace folder, e.g. `packages/sdk`. */
  workspace: string;
  tarball: string;
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  name?: string;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** An environment for npm and node children that is not the test runner's (its source condition stays out). */
export function plainEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete environment.NODE_OPTIONS;
  for (const key of Object.keys(environment)) if (key.startsWith("VITEST") || key.startsWith("npm_")) delete environment[key];
  return environment;
}

/** `npm pack` of every workspace (their dist/ must be built: `npm run build`). */
export function packWorkspaces(destination: string): PackedPackage[] {
  const output = execFileSync("npm", ["pack", "--workspaces", "--json", "--pack-destination", destination], {
    cwd: repositoryRoot,
    env: plainEnvironment(),
    encoding: "utf8",
  });
  const packed = JSON.parse(output) as { name: string; filename: string }[];
  const lock = readLock();
  return packed.map(({ name, filename }) => {
    const workspace = Object.keys(lock.packages).find((key) => key.startsWith("packages/") && lock.packages[key]!.name === name);
    if (!workspace) throw new Error(`no workspace for ${name}`);
    return { name, workspace, tarball: path.join(destination, filename) };
  });
}

/**
 * The registry tarball URL of a lock entry. This machine's npm writes lockfiles without `resolved`
 * (`omit-lockfile-registry-resolved`); offline, npm then needs the package's registry metadata, which the cache
 * may not hold (seen for @electric-sql/pglite-pgvector). With the URL, the cached tarball (found by integrity)
 * is enough.
 */
function withResolved(key: string, entry: LockEntry): LockEntry {
  if (entry.resolved !== undefined || entry.version === undefined) return entry;
  const name = key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
  const base = name.slice(name.lastIndexOf("/") + 1);
  return { ...entry, resolved: `https://registry.npmjs.org/${name}/-/${base}-${entry.version}.tgz` };
}

function readLock(): { packages: Record<string, LockEntry> } {
  return JSON.parse(readFileSync(path.join(repositoryRoot, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
}

function integrityOf(file: string): string {
  return `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
}

/**
 * Writes package.json and package-lock.json for a project that depends on `packages` (by tarball) and on
 * `registryDependencies`: packages the repository only has as devDependencies (e.g. `ai` beside the AI SDK
 * provider), taken with their dependency closure from the repository's lockfile.
 */
export function writeOfflineProject(directory: string, packages: PackedPackage[], type: "module" | "commonjs" = "module", registryDependencies: string[] = []): void {
  const lock = readLock();
  const dependencies: Record<string, string> = Object.fromEntries(packages.map((entry) => [entry.name, `file:${entry.tarball}`]));
  for (const name of registryDependencies) dependencies[name] = lock.packages[`node_modules/${name}`]!.version!;
  const lockPackages: Record<string, LockEntry> = { "": { name: "rein-packed-app", dependencies } };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (entry.dev || entry.link) continue;
    const nested = /^packages\/([^/]+)\/(node_modules\/.+)$/.exec(key);
    if (nested) {
      const owner = packages.find((candidate) => candidate.workspace === `packages/${nested[1]}`);
      if (owner) lockPackages[`node_modules/${owner.name}/${nested[2]}`] = withResolved(key, entry);
    } else if (key.startsWith("node_modules/")) {
      lockPackages[key] = withResolved(key, entry);
    }
  }
  const pending = [...registryDependencies];
  while (pending.length > 0) {
    const name = pending.pop()!;
    const entry = lock.packages[`node_modules/${name}`];
    if (!entry || (lockPackages[`node_modules/${name}`] && !lockPackages[`node_modules/${name}`]!.dev)) continue;
    const { dev: _dev, ...installed } = entry;
    lockPackages[`node_modules/${name}`] = installed;
    pending.push(...Object.keys(entry.dependencies ?? {}));
  }
  // The repository's lockfile has no `resolved` URLs; without one, npm asks the registry for the packument of a
  // package whose metadata it has not cached (seen for packages added after the cache was filled). The registry
  // URL is the key of the cached tarball, so the offline install finds it.
  for (const [key, entry] of Object.entries(lockPackages)) {
    if (key === "" || entry.resolved !== undefined || entry.link || entry.version === undefined) continue;
    const name = key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    entry.resolved = `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
  }
  for (const entry of packages) {
    const { name: _name, ...workspaceEntry } = lock.packages[entry.workspace]!;
    lockPackages[`node_modules/${entry.name}`] = { ...workspaceEntry, resolved: `file:${entry.tarball}`, integrity: integrityOf(entry.tarball) };
  }
  writeFileSync(path.join(directory, "package.json"), JSON.stringify({ name: "rein-packed-app", private: true, type, dependencies }, null, 2));
  writeFileSync(path.join(directory, "package-lock.json"), JSON.stringify({ name: "rein-packed-app", lockfileVersion: 3, requires: true, packages: lockPackages }, null, 2));
}

/**
 * `npm install --offline` on that lockfile: fails instead of reaching the registry when something is not in
 * the cache. (`npm ci` would refuse the lockfile: the repository's lockfile, written on Linux, lists only the
 * Linux builds among node-llama-cpp's optional per-platform binaries, and `npm ci` wants all of them.)
 */
export function installOffline(directory: string): void {
  execFileSync("npm", ["install", "--offline", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: directory,
    env: plainEnvironment(),
    stdio: ["ignore", "pipe", "pipe"],
  });
}
