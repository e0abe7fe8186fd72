import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimBinaryRecord, currentBinaryKey, loadedBindingPath, readBinaryRecord, writeBinaryRecord } from "./llama-binary-record.ts";

describe("the record of the last tested llama.cpp binary", () => {
  let cacheDir: string;
  let bindingPath: string;
  const key = currentBinaryKey("3.22.1");

  beforeEach(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), "rein-binary-record-"));
    bindingPath = path.join(cacheDir, "bins", "llama-addon.node");
    await writeFile(path.join(cacheDir, "placeholder"), "");
    await mkdir(path.dirname(bindingPath), { recursive: true });
    await writeFile(bindingPath, "not really a binary");
  });
  afterEach(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("is read back under the same key, and names the binary it was written for", async () => {
    expect(await readBinaryRecord({ cacheDir, key })).toBeUndefined();
    expect(await writeBinaryRecord({ cacheDir, key, bindingPath })).toBe(true);
    expect(await readBinaryRecord({ cacheDir, key })).toMatchObject({ format: 1, key, bindingPath, binarySize: "not really a binary".length });
    // Atomic: the temporary file is gone once the record is in place.
    expect(await readdir(path.join(cacheDir, "engine"))).toEqual(["llama-binary.json"]);
  });

  it("is ignored when any part of the key differs: another Node, node-llama-cpp, OS, kernel or CPU", async () => {
    await writeBinaryRecord({ cacheDir, key, bindingPath });
    for (const changed of [{ node: "20.0.0" }, { nodeAbi: "1" }, { nodeLlamaCpp: "3.23.0" }, { osRelease: "ID=alpine" }, { kernel: "0.0" }, { cpu: "another CPU" }, { arch: "arm64" }]) {
      expect(await readBinaryRecord({ cacheDir, key: { ...key, ...changed } })).toBeUndefined();
    }
    const stored = JSON.parse(await readFile(path.join(cacheDir, "engine", "llama-binary.json"), "utf8")) as { key: Record<string, unknown> };
    stored.key.extra = "field";
    await writeFile(path.join(cacheDir, "engine", "llama-binary.json"), JSON.stringify(stored));
    expect(await readBinaryRecord({ cacheDir, key })).toBeUndefined();
  });

  it("is ignored when the binary was replaced (size or mtime), removed, or the file is not a record", async () => {
    await writeBinaryRecord({ cacheDir, key, bindingPath });
    await utimes(bindingPath, new Date(), new Date(Date.now() + 60_000));
    expect(await readBinaryRecord({ cacheDir, key })).toBeUndefined();

    await writeBinaryRecord({ cacheDir, key, bindingPath });
    await writeFile(bindingPath, "a different binary, a different size");
    expect(await readBinaryRecord({ cacheDir, key })).toBeUndefined();

    await writeBinaryRecord({ cacheDir, key, bindingPath });
    await rm(bindingPath);
    expect(await readBinaryRecord({ cacheDir, key })).toBeUndefined();

    await writeFile(path.join(cacheDir, "engine", "llama-binary.json"), "{ not json");
    expect(await readBinaryRecord({ cacheDir, key })).toBeUndefined();
  });

  it("is removed by a claim, so a start that dies loading the binary leaves the next one to test it again", async () => {
    await writeBinaryRecord({ cacheDir, key, bindingPath });
    await claimBinaryRecord(cacheDir);
    expect(await readBinaryRecord({ cacheDir, key })).toBeUndefined();
    await expect(claimBinaryRecord(cacheDir)).resolves.toBeUndefined();
  });

  it("a cache dir that cannot be written only means no record", async () => {
    const notADirectory = path.join(cacheDir, "placeholder");
    expect(await writeBinaryRecord({ cacheDir: notADirectory, key, bindingPath })).toBe(false);
  });
});

describe("loadedBindingPath", () => {
  it("finds the one llama-addon.node in a process's memory maps", () => {
    const maps = [
      "7f0000000000-7f0000001000 r--p 00000000 08:01 123 /usr/lib/x86_64-linux-gnu/libc.so.6",
      "7f0000001000-7f0000002000 r-xp 00001000 08:01 456 /app/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node",
      "7f0000002000-7f0000003000 r--p 00002000 08:01 456 /app/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node",
      "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]",
    ].join("\n");
    expect(loadedBindingPath(maps)).toBe("/app/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node");
  });

  it("says nothing when no addon, or two different ones, are mapped", () => {
    expect(loadedBindingPath("7f00-7f01 r--p 0 08:01 1 /usr/lib/libc.so.6")).toBeUndefined();
    expect(loadedBindingPath("1-2 r--p 0 0:0 1 /a/llama-addon.node\n3-4 r--p 0 0:0 2 /b/llama-addon.node")).toBeUndefined();
    expect(loadedBindingPath("")).toBeUndefined();
  });
});
