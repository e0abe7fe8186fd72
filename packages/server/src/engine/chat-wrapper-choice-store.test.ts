import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatWrapperChoiceStore } from "./chat-wrapper-choice-store.ts";
import { engineVersion } from "./llama-runtime.ts";

describe("ChatWrapperChoiceStore", () => {
  let cacheDir: string;
  const file = { path: "/models/tiny.gguf", size: 1_900_000, modifiedMs: 1 };
  const chatML = { kind: "specialized", name: "chatML", candidate: 0 } as const;

  beforeEach(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), "rein-choices-"));
  });
  afterEach(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("a choice remembered by one worker is recalled by the next (a new store on the same cache dir)", async () => {
    const first = new ChatWrapperChoiceStore(cacheDir);
    expect(first.recall(file)).toBeUndefined();
    await first.remember(file, chatML);
    await first.remember({ ...file, path: "/models/other.gguf" }, { kind: "jinja" });
    const next = new ChatWrapperChoiceStore(cacheDir);
    expect(next.recall(file)).toEqual(chatML);
    expect(next.recall({ ...file, path: "/models/other.gguf" })).toEqual({ kind: "jinja" });
    // Another size or mtime is another file content.
    expect(next.recall({ ...file, size: file.size + 1 })).toBeUndefined();
    expect(next.recall({ ...file, modifiedMs: 2 })).toBeUndefined();
    const stored = JSON.parse(await readFile(first.file, "utf8")) as { engine: string };
    expect(stored.engine).toBe(engineVersion());
  });

  it("ignores a file written for another node-llama-cpp version, a malformed file and malformed entries", async () => {
    await mkdir(path.join(cacheDir, "engine"), { recursive: true });
    const target = new ChatWrapperChoiceStore(cacheDir).file;
    const key = `${file.path}\u0000${file.size}\u0000${file.modifiedMs}`;
    await writeFile(target, JSON.stringify({ format: 1, engine: "0.0.1", choices: { [key]: chatML } }));
    expect(new ChatWrapperChoiceStore(cacheDir).recall(file)).toBeUndefined();
    await writeFile(target, "{ not json");
    expect(new ChatWrapperChoiceStore(cacheDir).recall(file)).toBeUndefined();
    const other = { ...file, path: "/models/b.gguf" };
    const otherKey = `${other.path}\u0000${other.size}\u0000${other.modifiedMs}`;
    await writeFile(target, JSON.stringify({ format: 1, engine: engineVersion(), choices: { [key]: { kind: "specialized", name: "chatML", candidate: -1 }, [otherKey]: { kind: "general" } } }));
    const store = new ChatWrapperChoiceStore(cacheDir);
    expect(store.recall(file)).toBeUndefined();
    expect(store.recall(other)).toEqual({ kind: "general" });
  });

  it("keeps the 64 most recent files, and forget drops one", async () => {
    const store = new ChatWrapperChoiceStore(cacheDir);
    for (let index = 0; index < 70; index += 1) await store.remember({ ...file, path: `/models/${index}.gguf` }, chatML);
    const next = new ChatWrapperChoiceStore(cacheDir);
    expect(next.recall({ ...file, path: "/models/5.gguf" })).toBeUndefined();
    expect(next.recall({ ...file, path: "/models/6.gguf" })).toEqual(chatML);
    expect(next.recall({ ...file, path: "/models/69.gguf" })).toEqual(chatML);
    next.forget({ ...file, path: "/models/69.gguf" });
    expect(next.recall({ ...file, path: "/models/69.gguf" })).toBeUndefined();
  });

  it("a cache dir that cannot be written costs only the next worker's resolution", async () => {
    const blocked = path.join(cacheDir, "a-file");
    await writeFile(blocked, "");
    const store = new ChatWrapperChoiceStore(blocked);
    await expect(store.remember(file, chatML)).resolves.toBeUndefined();
    expect(store.recall(file)).toEqual(chatML);
    expect(new ChatWrapperChoiceStore(blocked).recall(file)).toBeUndefined();
  });
});
