import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WorkspaceLockedError } from "@rein/protocol";
import { acquireWorkspaceLock, processAlive } from "./workspace-lock.ts";

/** The pid of a process that has exited (so it is certainly not alive). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

describe("acquireWorkspaceLock", () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "rein-lock-"));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it("writes this process's pid, refuses a second holder by name, and frees the file on release", async () => {
    const lockPath = path.join(directory, "rein.lock");
    const lock = await acquireWorkspaceLock({ path: lockPath, workspace: "notes" });
    expect(JSON.parse(await readFile(lockPath, "utf8"))).toMatchObject({ pid: process.pid });
    const refused = await acquireWorkspaceLock({ path: lockPath, workspace: "notes" }).catch((error: unknown) => error);
    expect(WorkspaceLockedError.isInstance(refused)).toBe(true);
    expect(refused).toMatchObject({ workspace: "notes", field: "workspace", ownerPid: process.pid, lockPath });
    await lock.release();
    await lock.release();
    const again = await acquireWorkspaceLock({ path: lockPath, workspace: "notes" });
    await again.release();
  });

  it("refuses a lock held by another live process", async () => {
    const lockPath = path.join(directory, "rein.lock");
    const other = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      await writeFile(lockPath, JSON.stringify({ pid: other.pid, createdAt: new Date().toISOString() }));
      const refused = await acquireWorkspaceLock({ path: lockPath, workspace: "w" }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 52602, ownerPid: other.pid });
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("takes over a stale lock (dead pid) and an unreadable one", async () => {
    const lockPath = path.join(directory, "rein.lock");
    const pid = await deadPid();
    expect(processAlive(pid)).toBe(false);
    await writeFile(lockPath, JSON.stringify({ pid, createdAt: new Date().toISOString() }));
    const lock = await acquireWorkspaceLock({ path: lockPath, workspace: "w" });
    expect(JSON.parse(await readFile(lockPath, "utf8")).pid).toBe(process.pid);
    await lock.release();
    await writeFile(lockPath, "{ half-writ");
    const second = await acquireWorkspaceLock({ path: lockPath, workspace: "w" });
    await second.release();
  });
});
