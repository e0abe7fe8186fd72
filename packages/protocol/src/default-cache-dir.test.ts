import { describe, expect, it } from "vitest";
import { defaultCacheDir } from "./default-cache-dir.ts";

describe("defaultCacheDir", () => {
  it("follows each platform's per-user cache convention", () => {
    expect(defaultCacheDir({ env: {}, platform: "linux", homeDir: "/home/ada" })).toBe("/home/ada/.cache/rein");
    expect(defaultCacheDir({ env: { XDG_CACHE_HOME: "/var/cache/ada" }, platform: "linux", homeDir: "/home/ada" })).toBe("/var/cache/ada/rein");
    expect(defaultCacheDir({ env: {}, platform: "darwin", homeDir: "/Users/ada" })).toBe("/Users/ada/Library/Caches/rein");
    expect(defaultCacheDir({ env: { XDG_CACHE_HOME: "/x" }, platform: "darwin", homeDir: "/Users/ada" })).toBe("/Users/ada/Library/Caches/rein");
    expect(defaultCacheDir({ env: { LOCALAPPDATA: "C:\\Users\\ada\\AppData\\Local" }, platform: "win32", homeDir: "C:\\Users\\ada" })).toBe("C:\\Users\\ada\\AppData\\Local\\rein\\cache");
    expect(defaultCacheDir({ env: {}, platform: "win32", homeDir: "C:\\Users\\ada" })).toBe("C:\\Users\\ada\\AppData\\Local\\rein\\cache");
  });

  it("REIN_CACHE_DIR wins; a relative XDG_CACHE_HOME is ignored, as the XDG spec says", () => {
    expect(defaultCacheDir({ env: { REIN_CACHE_DIR: "/srv/rein", XDG_CACHE_HOME: "/x" }, platform: "linux", homeDir: "/home/ada" })).toBe("/srv/rein");
    expect(defaultCacheDir({ env: { XDG_CACHE_HOME: "relative/cache" }, platform: "linux", homeDir: "/home/ada" })).toBe("/home/ada/.cache/rein");
  });

  it("never falls back to the shared /tmp/rein-cache", () => {
    const withoutHome = defaultCacheDir({ env: {}, platform: "linux", homeDir: "" });
    expect(withoutHome).not.toBe("/tmp/rein-cache");
    expect(withoutHome).toMatch(/rein-cache-.+/);
  });
});
