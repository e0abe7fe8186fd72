import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Duplex } from "node:stream";
import { WorkerStartFailedError } from "@rein/protocol";
import { workerEnvironment } from "./worker-environment.ts";

const require = createRequire(import.meta.url);

export interface SpawnedWorker {
  child: ChildProcess;
  /** The dedicated RPC pipe (fd 3); stdout and stderr stay free for the worker's logs. */
  channel: Duplex;
  /** Settles once, when the process is gone, however it went. */
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
}

export interface SpawnWorkerOptions {
  /** Worker entry file; default: `@rein/server`'s own (built) entry. */
  workerEntry?: string;
  /** Op modules the worker will import: TypeScript ones need tsx's loader in the worker. */
  opModules?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Where the worker's stdout/stderr go: "inherit" (default) or "ignore". */
  stdio?: "inherit" | "ignore";
}

/**
 * A young generation that starts at 16 MiB: the worker allocates ~10 MiB while it loads, which with V8's default
 * (1 MiB, grown step by step) costs five scavenges, 10-25 ms of a start that is ~100 ms of Node itself. The
 * worker's V8 code cache is made under the same flag, so it still matches (V8 keys a cache by the flags).
 */
const HEAP_ARGUMENTS = ["--min-semi-space-size=16"];

const isTypeScript = (file: string) => /\.[mc]?ts$/.test(file);
const RUNNING_FROM_SOURCE = isTypeScript(new URL(import.meta.url).pathname);

/**
 * Starts the worker as `node <entry>` with an extra pipe on fd 3 for bare-rpc.
 * stdin/stdout as the channel would be fragile: one `console.log` in the
 * worker would corrupt the framing. The built entry runs under plain `node`;
 * a TypeScript entry (the repository's own source) or TypeScript op modules
 * run through tsx's loader, which must then be installed beside the app.
 */
export function spawnWorker(options: SpawnWorkerOptions = {}): SpawnedWorker {
  const entry = options.workerEntry ?? locateWorkerEntry();
  const child = spawn(process.execPath, [...HEAP_ARGUMENTS, ...nodeArguments(entry, options.opModules ?? []), path.resolve(entry)], {
    stdio: ["ignore", options.stdio ?? "inherit", options.stdio ?? "inherit", "pipe"],
    env: workerEnvironment(options.env ?? process.env, { onlyReinCode: options.workerEntry === undefined && (options.opModules ?? []).length === 0 }),
  });
  const channel = child.stdio[3] as Duplex;
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
    child.once("exit", (exitCode, signal) => resolve({ exitCode, signal }));
    // spawn itself failed (ENOENT, EMFILE): no "exit" follows an "error" in that case.
    child.once("error", () => resolve({ exitCode: null, signal: null }));
  });
  return { child, channel, exited };
}

/** `@rein/server` is an optional peer: only a local worker needs it (and node-llama-cpp with it). */
function locateWorkerEntry(): string {
  try {
    return require.resolve("@rein/server/worker-entry");
  } catch (error) {
    throw new WorkerStartFailedError({
      reason: "a local worker needs the @rein/server package (npm install @rein/server), or connect to a server with createClient({ url })",
      cause: error,
    });
  }
}

function nodeArguments(entry: string, opModules: readonly string[]): string[] {
  const typeScriptModule = isTypeScript(entry) ? entry : opModules.find(isTypeScript);
  if (typeScriptModule === undefined) return [];
  // This SDK running from its TypeScript source means the Rein repository: the worker's `@rein/*` imports must
  // resolve to source too. A built SDK never asks for it (its tarballs ship no src/ for that condition to find).
  const conditions = RUNNING_FROM_SOURCE ? ["--conditions=@rein/source"] : [];
  return [...conditions, "--import", tsxLoader(typeScriptModule)];
}

function tsxLoader(typeScriptModule: string): string {
  // The SDK does not depend on tsx: the app that hands it TypeScript brings it (found beside the SDK or the app).
  for (const base of [import.meta.url, pathToFileURL(path.join(process.cwd(), "package.json")).href]) {
    try {
      return pathToFileURL(createRequire(base).resolve("tsx")).href;
    } catch {
      // Try the next place.
    }
  }
  throw new WorkerStartFailedError({
    reason: `${typeScriptModule} is TypeScript, which the worker runs through tsx: install tsx (npm install -D tsx) or pass a built .js file`,
  });
}
