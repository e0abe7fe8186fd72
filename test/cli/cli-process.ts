/**
 * Drives `rein` as a child process: write lines to its stdin, await what it
 * prints, send it signals. Waiting is on the output itself; the only timer is
 * a guard that turns a hang into a failure that shows the whole transcript.
 *
 * @example
 * ```ts
 * const cli = startRein(["chat", "--model", path]);
 * await cli.waitForOutput((text) => text.endsWith("> "));
 * cli.write("hello\n");
 * ```
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));
export const reinBin = fileURLToPath(new URL("../../packages/cli/bin/rein.js", import.meta.url));

const GUARD_MS = 30_000;

export interface ReinProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything printed on stdout so far. */
  readonly stdout: string;
  readonly stderr: string;
  write(text: string): void;
  /** Resolves with the stdout length once `predicate(stdout)` holds; fails with the transcript after a guard time. */
  waitForOutput(predicate: (stdout: string) => boolean, what: string): Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Its own process group (the pid is the group id): a test can signal the group as a terminal's Ctrl+C does. */
  processGroup?: boolean;
}

/** Spawns `command args` with REIN_THREADS=1, stdin/stdout/stderr piped. */
export function startProcess(command: string, args: string[], options: StartOptions = {}): ReinProcess {
  const child = spawn(command, args, {
    cwd: repositoryRoot,
    env: { ...process.env, REIN_THREADS: "1", ...options.env },
    stdio: "pipe",
    detached: options.processGroup ?? false,
  });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    for (const listener of listeners) listener();
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  // Waiters whose text never came fail at once when the process is gone.
  exited.then(() => listeners.forEach((listener) => listener()));

  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    write: (text) => child.stdin.write(text),
    exited,
    waitForOutput(predicate, what) {
      return new Promise((resolve, reject) => {
        const guard = setTimeout(() => finish(new Error(`timed out waiting for ${what}`)), GUARD_MS);
        const finish = (error?: Error) => {
          clearTimeout(guard);
          listeners.delete(check);
          if (error) reject(new Error(`${error.message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
          else resolve(stdout.length);
        };
        const check = () => {
          if (predicate(stdout)) finish();
          else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${what}`));
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** `node packages/cli/bin/rein.js ...args`. */
export function startRein(args: string[], options: StartOptions = {}): ReinProcess {
  return startProcess(process.execPath, [reinBin, ...args], options);
}
