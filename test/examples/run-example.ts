/**
 * Runs one example script the way a user does (`npx tsx examples/<file>`) and
 * collects its output, so the smoke tests catch an example that rots.
 *
 * @example
 * ```ts
 * const result = await runExample("cancel-by-request-id.ts");
 * expect(result.exitCode).toBe(0);
 * expect(result.stdout).toMatch(/stopReason=cancelled/);
 * ```
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface ExampleResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout split into lines, without the empty ones. */
  lines: string[];
}

/** Longest an example may run before the smoke test kills it (a hang is a failure, not a slow pass). */
const EXAMPLE_LIMIT_MS = 90_000;

export function runExample(file: string, env: NodeJS.ProcessEnv = {}): Promise<ExampleResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, REIN_THREADS: "1", ...env };
  // The smoke tests pin the generated tiny model; a REIN_MODEL in the developer's shell would change every output.
  delete childEnv.REIN_MODEL;
  // Its own process group: on a hang the guard kills npx, tsx, the script and its worker together.
  const child = spawn("npx", ["tsx", `examples/${file}`], { cwd: repositoryRoot, env: childEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const killer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), EXAMPLE_LIMIT_MS);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (exitCode, signal) => {
      clearTimeout(killer);
      resolve({ exitCode, signal, stdout, stderr, lines: stdout.split("\n").filter((line) => line.trim() !== "") });
    });
  });
}

/** The one line that matches `pattern`; fails with the whole output when there is none, so a broken example explains itself. */
export function lineMatching(result: ExampleResult, pattern: RegExp): RegExpMatchArray {
  for (const line of result.lines) {
    const match = pattern.exec(line);
    if (match) return match;
  }
  throw new Error(`no output line matches ${pattern}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
}
