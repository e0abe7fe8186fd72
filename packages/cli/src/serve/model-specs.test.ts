import { describe, expect, it } from "vitest";
import { parseModelSpecs } from "./model-specs.ts";

describe("parseModelSpecs", () => {
  it("takes name= when given, else the file name without .gguf", () => {
    expect(parseModelSpecs(["chat=./models/qwen.gguf", "/m/nomic-embed.GGUF", "tiny"])).toEqual([
      { name: "chat", modelSrc: "./models/qwen.gguf" },
      { name: "nomic-embed", modelSrc: "/m/nomic-embed.GGUF" },
      { name: "tiny", modelSrc: "tiny" },
    ]);
  });

  it("keeps a URL whole, '=' in its query included, and names it by its path", () => {
    expect(parseModelSpecs(["https://host/a/llama.gguf?token=abc"])).toEqual([{ name: "llama", modelSrc: "https://host/a/llama.gguf?token=abc" }]);
    expect(parseModelSpecs(["big=https://host/x.gguf?a=b"])).toEqual([{ name: "big", modelSrc: "https://host/x.gguf?a=b" }]);
  });

  it("refuses a repeated name and an empty source", () => {
    expect(() => parseModelSpecs(["a.gguf", "dir/a.gguf"])).toThrow(/two models are named "a"/);
    expect(() => parseModelSpecs(["x="])).toThrow(/names no model file/);
  });
});
