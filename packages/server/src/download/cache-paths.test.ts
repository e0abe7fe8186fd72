import { join, resolve } from "node:path";
import { InvalidInputError } from "@rein/protocol";
import { describe, expect, it } from "vitest";
import { cachePathFor, fileNameForUrl, partialPathFor } from "./cache-paths.ts";

describe("cache paths", () => {
  it("derives a stable, safe name from the URL", () => {
    const name = fileNameForUrl("https://example.com/models/Qwen3-0.6B-Q4_K_M.gguf?download=true");
    expect(name).toMatch(/^[0-9a-f]{16}-Qwen3-0\.6B-Q4_K_M\.gguf$/);
    expect(fileNameForUrl("https://example.com/models/Qwen3-0.6B-Q4_K_M.gguf?download=true")).toBe(name);
    expect(fileNameForUrl("https://example.com/models/Qwen3-0.6B-Q4_K_M.gguf")).not.toBe(name);
    expect(fileNameForUrl("https://example.com/")).toMatch(/^[0-9a-f]{16}-asset$/);
    expect(fileNameForUrl("https://example.com/a/%2E%2E%2Fetc%2Fpasswd")).toMatch(/^[0-9a-f]{16}-_etc_passwd$/);
    expect(fileNameForUrl("https://example.com/..")).toMatch(/^[0-9a-f]{16}-asset$/);
    expect(fileNameForUrl("https://example.com/x.partial")).toMatch(/^[0-9a-f]{16}-asset$/);
  });

  it("keeps every path a direct child of the cache directory", () => {
    const dir = resolve("/tmp/rein-cache");
    expect(cachePathFor(dir, "https://example.com/m.gguf", "m.gguf")).toBe(join(dir, "m.gguf"));
    expect(cachePathFor(dir, "https://example.com/../../m.gguf")).toMatch(new RegExp(`^${dir}/[0-9a-f]{16}-m\\.gguf$`));
    expect(partialPathFor(join(dir, "m.gguf"))).toBe(join(dir, "m.gguf.partial"));
    for (const bad of ["../m.gguf", "/etc/passwd", "a/../../b", "..", ".", "a\\b", "n\0ul", "x".repeat(201), "m.partial"]) {
      expect(() => cachePathFor(dir, "https://example.com/m.gguf", bad), bad).toThrow(InvalidInputError);
    }
    expect(() => cachePathFor(dir, "not a url")).toThrow(expect.objectContaining({ field: "url" }));
  });
});
