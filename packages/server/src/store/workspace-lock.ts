import { readFileSync, unlinkSync } from "node:fs";
import { readFile, unlink, writeFile } from "node:fs/promises";
import { WorkspaceLockedError } from "@rein/protocol";

/** A held lock on one workspace directory; `release()` is idempotent. */
export interface WorkspaceLock {
  readonly path: string;
  release(): Promise<void>;
}

interface LockContent {
  pid: number;
  createdAt: string;
}

/**
 * True while a process with this pid exists (EPERM: it exists, it is someone else's).
 *
 * @example
 * ```ts
 * processAlive(process.pid); // true
 * ```
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(text: string): number | null {
  try {
    const content = JSON.parse(text) as Partial<LockContent>;
    return typeof content.pid === "number" && Number.isInteger(content.pid) && content.pid > 0 ? content.pid : null;
  } catch {
    return null;
  }
}

/** Locks this process holds, removed on any exit (a SIGKILL leaves them: the next opener finds them stale). */
const held = new Set<string>();
process.once("exit", () => {
  for (const path of held) {
    try {
      if (readOwner(readFileSync(path, "utf8")) === process.pid) unlinkSync(path);
    } catch {
      // Already gone.
    }
  }
});

/**
 * Takes the lock file of a workspace: created exclusively (`wx`) with this process's pid. A lock whose
 * process is gone (a worker that was SIGKILLed) is stale and taken over; one held by a live process is a
 * `WorkspaceLockedError`. Two PGlite instances on one data directory silently lose one side's writes,
 * which is what this prevents.
 *
 * Limits: a pid reused by an unrelated process after a crash keeps the lock looking held (delete the file
 * by hand); two openers that find the same stale lock at the same instant can both take it (each removes
 * it and one of the exclusive creates wins, but the loser may have removed the winner's file).
 *
 * @example
 * ```ts
 * const lock = await acquireWorkspaceLock({ path: "/cache/rag/workspaces/notes/rein.lock", workspace: "notes" });
 * try { ... } finally { await lock.release(); }
 * ```
 */
export async function acquireWorkspaceLock(options: { path: string; workspace: string }): Promise<WorkspaceLock> {
  const content = JSON.stringify({ pid: process.pid, createdAt: new Date().toISOString() } satisfies LockContent);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await writeFile(options.path, content, { flag: "wx" });
      held.add(options.path);
      let released = false;
      return {
        path: options.path,
        async release() {
          if (released) return;
          released = true;
          held.delete(options.path);
          const current = await readFile(options.path, "utf8").catch(() => "");
          if (readOwner(current) === process.pid) await unlink(options.path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const text = await readFile(options.path, "utf8").catch(() => null);
    if (text === null) continue; // Released between our create and our read: try again.
    const owner = readOwner(text);
    // A lock of this very process is held by another open of the same workspace in this worker: still locked.
    if (owner !== null && (owner === process.pid || processAlive(owner))) {
      throw new WorkspaceLockedError({ workspace: options.workspace, ownerPid: owner, lockPath: options.path });
    }
    // Stale (its process is gone) or unreadable (a crash while it was being written): take it over.
    await unlink(options.path).catch(() => undefined);
  }
  throw new WorkspaceLockedError({ workspace: options.workspace, ownerPid: null, lockPath: options.path, message: `Workspace "${options.workspace}": could not take its lock ${options.path} after 3 attempts` });
}
