/**
 * The worker's default cache directory: the platform's per-user cache, never
 * a directory shared by every user of the machine (a shared `/tmp/rein-cache`
 * lets one user's files be read or replaced by another, and lets test runs
 * litter it).
 */
import os from "node:os";
import path from "node:path";

export interface CacheDirContext {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  homeDir?: string;
}

/**
 * `REIN_CACHE_DIR` when set; else `$XDG_CACHE_HOME/rein` or `~/.cache/rein` on
 * Linux and other Unixes, `~/Library/Caches/rein` on macOS,
 * `%LOCALAPPDATA%\rein\cache` on Windows. Without a home directory, a
 * per-user folder under the OS temp dir.
 *
 * @example
 * ```ts
 * defaultCacheDir({ env: {}, platform: "linux", homeDir: "/home/ada" }); // "/home/ada/.cache/rein"
 * ```
 */
export function defaultCacheDir(context: CacheDirContext = {}): string {
  const env = context.env ?? process.env;
  const platform = context.platform ?? process.platform;
  const paths = platform === "win32" ? path.win32 : path.posix;
  if (env.REIN_CACHE_DIR) return paths.resolve(env.REIN_CACHE_DIR);
  const home = context.homeDir ?? safeHomeDir();
  if (platform === "win32") {
    const local = env.LOCALAPPDATA || (home ? paths.join(home, "AppData", "Local") : undefined);
    if (local) return paths.join(local, "rein", "cache");
  } else {
    // The XDG spec ignores a relative XDG_CACHE_HOME.
    if (platform !== "darwin" && env.XDG_CACHE_HOME && paths.isAbsolute(env.XDG_CACHE_HOME)) return paths.join(env.XDG_CACHE_HOME, "rein");
    if (home) return platform === "darwin" ? paths.join(home, "Library", "Caches", "rein") : paths.join(home, ".cache", "rein");
  }
  return paths.join(os.tmpdir(), `rein-cache-${userTag()}`);
}

function safeHomeDir(): string | undefined {
  try {
    return os.homedir() || undefined;
  } catch {
    return undefined;
  }
}

function userTag(): string {
  try {
    return os.userInfo().username.replace(/[^A-Za-z0-9._-]/g, "_") || String(process.getuid?.() ?? "user");
  } catch {
    return String(process.getuid?.() ?? "user");
  }
}
