/**
 * vitest global setup: the whole run gets its own cache directory
 * (REIN_CACHE_DIR, inherited by every test process, worker, example and CLI
 * it starts), removed at the end. Nothing lands in the user's per-user cache
 * or in a shared temp folder, and no run sees another run's downloads.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default async function isolatedCache(): Promise<() => Promise<void>> {
  const previous = process.env.REIN_CACHE_DIR;
  const directory = await mkdtemp(join(tmpdir(), "rein-test-cache-"));
  process.env.REIN_CACHE_DIR = directory;
  return async () => {
    if (previous === undefined) delete process.env.REIN_CACHE_DIR;
    else process.env.REIN_CACHE_DIR = previous;
    await rm(directory, { recursive: true, force: true });
  };
}
