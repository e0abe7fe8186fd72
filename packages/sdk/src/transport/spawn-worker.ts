import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Duplex } from "node:stream";

const require = createRequire(import.meta.url);

export interface SpawnedWorker {
  child: ChildProcess;
  /** The dedicated RPC pipe (fd 3); stdout and stderr stay free for the worker's logs. */
  channel: Duplex;
  /** Settles once, when the process is gone, however it went. */
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
}

export interface SpawnWorkerOptions {
  /** Worker entry file; default: `@rein/server`'s own entry. */
  workerEntry?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the worker's stdout/stderr go: "inherit" (default) or "ignore". */
  stdio?: "inherit" | "ignore";
}

/**
 * Starts the worker as `node <entry>` with an extra pipe on fd 3 for bare-rpc.
 * stdin/stdout as the channel would be fragile: one `console.log` in the
 * worker would corrupt the framing (NOTES.md). TypeScript entries run through
 * tsx's loader, so nothing needs building first.
 */
export function spawnWorker(options: SpawnWorkerOptions = {}): SpawnedWorker {
  const entry = options.workerEntry ?? require.resolve("@rein/server/worker-entry");
  const loaderArgs = /\.[mc]?ts$/.test(entry) ? ["--import", pathToFileURL(require.resolve("tsx")).href] : [];
  const child = spawn(process.execPath, [...loaderArgs, path.resolve(entry)], {
    stdio: ["ignore", options.stdio ?? "inherit", options.stdio ?? "inherit", "pipe"],
    env: options.env ?? process.env,
  });
  const channel = child.stdio[3] as Duplex;
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
    child.once("exit", (exitCode, signal) => resolve({ exitCode, signal }));
    // spawn itself failed (ENOENT, EMFILE): no "exit" follows an "error" in that case.
    child.once("error", () => resolve({ exitCode: null, signal: null }));
  });
  return { child, channel, exited };
}
