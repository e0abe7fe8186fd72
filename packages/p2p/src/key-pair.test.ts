import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "@rein/protocol";
import { formatPublicKey, loadOrCreateKeyPair, parsePublicKey } from "./key-pair.ts";

describe("key pair files", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), "rein-key-pair-"));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it("creates the directory and a 0600 file once, then loads the same key pair", async () => {
    const file = path.join(directory, "nested", "p2p", "key-pair.json");
    const first = await loadOrCreateKeyPair(file);
    const second = await loadOrCreateKeyPair(file);
    expect(formatPublicKey(second.publicKey)).toBe(formatPublicKey(first.publicKey));
    expect(second.secretKey.equals(first.secretKey)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ publicKey: formatPublicKey(first.publicKey), secretKey: first.secretKey.toString("hex") });
  });

  it("a file that is not a key pair is an InvalidInputError naming the field, and is left alone", async () => {
    const file = path.join(directory, "broken.json");
    await writeFile(file, JSON.stringify({ publicKey: "zz", secretKey: "00" }));
    await expect(loadOrCreateKeyPair(file)).rejects.toMatchObject({ name: "InvalidInputError", field: "keyPair.publicKey" });
    await writeFile(file, "not json");
    await expect(loadOrCreateKeyPair(file)).rejects.toBeInstanceOf(InvalidInputError);
    expect(await readFile(file, "utf8")).toBe("not json");
  });

  it("parses 64 hex characters and names the field otherwise", () => {
    const hex = "AB".repeat(32);
    expect(formatPublicKey(parsePublicKey(hex, { field: "peer" }))).toBe(hex.toLowerCase());
    for (const bad of ["ab", "g".repeat(64), 42, undefined]) {
      expect(() => parsePublicKey(bad, { field: "allow.0", operation: "servePeer" })).toThrow(expect.objectContaining({ name: "InvalidInputError", field: "allow.0" }));
    }
  });
});
