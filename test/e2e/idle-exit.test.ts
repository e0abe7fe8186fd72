/**
 * An idle client does not keep the process alive: a script that forgets
 * close() exits by itself (code 0) and its worker follows, while a request in
 * flight keeps the script running until it settles.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../fixtures/forgets-close.ts", import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
// Only a safety net that turns a process that never exits into a failure; never a timing assertion.
const HANG_LIMIT_MS = 60_000;

function runScript(mode: "idle" | "in-flight"): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; lines: string[]; hung: boolean }> {
  const child = spawn(process.execPath, ["--import", tsxLoader, script, mode], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, REIN_THREADS: "1" } });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, HANG_LIMIT_MS);
  return new Promise((resolve) => {
    child.once("exit", (exitCode, signal) => {
      clearTimeout(guard);
      resolve({ exitCode, signal, lines: stdout.split("\n").filter(Boolean), hung });
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The worker notices its parent is gone (its pipe ends) and exits; waits for that, bounded. */
async function workerGone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 500 && alive(pid); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 20));
  return !alive(pid);
}

describe("an idle client does not keep the process alive", () => {
  it("a script that loads a model, runs a completion and never calls close() exits by itself with code 0; its worker exits too", async () => {
    const result = await runScript("idle");
    expect(result.hung, "the script never exited").toBe(false);
    expect(result.exitCode, result.lines.join("\n")).toBe(0);
    expect(result.lines).toContainEqual(expect.stringMatching(/^completed length=\d+$/));
    const pid = Number(/^worker pid=(\d+)$/.exec(result.lines[0] ?? "")?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(await workerGone(pid)).toBe(true);
  });

  it("a request in flight keeps the script running until it settles, then it exits with code 0", async () => {
    const result = await runScript("in-flight");
    expect(result.hung, "the script never exited").toBe(false);
    expect(result.exitCode, result.lines.join("\n")).toBe(0);
    // "started" is printed before the completion settles; the process must not end in between.
    expect(result.lines.slice(1)).toEqual(["started", "settled stopReason=length tokens=400"]);
  });
});
