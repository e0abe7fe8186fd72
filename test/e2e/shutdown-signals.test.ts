import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const app = fileURLToPath(new URL("../fixtures/signal-app.ts", import.meta.url));

function startApp(): { child: ChildProcess; output: () => string; waitFor: (text: string) => Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", tsxLoader, app], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, REIN_THREADS: "1" } });
  let output = "";
  const waiters = new Set<{ text: string; resolve: () => void }>();
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    for (const waiter of waiters) if (output.includes(waiter.text)) (waiters.delete(waiter), waiter.resolve());
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitFor = (text: string) =>
    output.includes(text)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => waiters.add({ text, resolve })),
          exited.then((code) => {
            throw new Error(`the app exited (${code}) before printing "${text}"; output:\n${output}`);
          }),
        ]);
  return { child, output: () => output, waitFor, exited };
}

const workerPidOf = (output: string) => Number(/worker pid=(\d+)/.exec(output)?.[1]);
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** The worker exits on its own once the pipe closes; resolve when it is gone. */
async function workerGone(pid: number): Promise<void> {
  while (isAlive(pid)) await new Promise((resolve) => setImmediate(resolve));
}

describe("handleSignals: true", () => {
  it("SIGINT cancels the in-flight request, waits for cleanup, closes the worker, then exits 130", async () => {
    const app = startApp();
    await app.waitFor("streaming");
    const workerPid = workerPidOf(app.output());
    app.child.kill("SIGINT");
    expect(await app.exited).toBe(130);
    expect(app.output()).toContain("done stopReason=cancelled");
    expect(app.output()).toContain("outcome InferenceCancelledError reason=shutdown");
    await workerGone(workerPid);
    expect(isAlive(workerPid)).toBe(false);
  });

  it("SIGTERM does the same and exits 143", async () => {
    const app = startApp();
    await app.waitFor("streaming");
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(143);
    expect(app.output()).toContain("done stopReason=cancelled");
  });

  it("a second SIGINT exits at once, and the orphaned worker still goes away", async () => {
    const app = startApp();
    await app.waitFor("streaming");
    const workerPid = workerPidOf(app.output());
    app.child.kill("SIGINT");
    app.child.kill("SIGINT");
    expect(await app.exited).toBe(130);
    await workerGone(workerPid);
    expect(isAlive(workerPid)).toBe(false);
  });
});
