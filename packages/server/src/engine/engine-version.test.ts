import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { engineVersion } from "./llama-runtime.ts";

describe("engineVersion", () => {
  it("is the version of the node-llama-cpp that Node's own resolver finds from this package, without importing it", () => {
    const require = createRequire(import.meta.url);
    const entry = require.resolve("node-llama-cpp");
    const manifest = require(`${entry.slice(0, entry.lastIndexOf("node-llama-cpp") + "node-llama-cpp".length)}/package.json`) as { version: string };
    expect(engineVersion()).toBe(manifest.version);
    expect(engineVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
