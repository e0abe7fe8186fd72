/**
 * Every user mistake on the command line ends with one plain line on stderr
 * that names the problem and the error code, and exit code 1 or 2; never an
 * uncaught stack trace. `--verbose` adds the stack. A GGUF file is accepted
 * whatever its name.
 */
import { spawn } from "node:child_process";
import { copyFile, writeFile } from "node:fs/promises";
import { closedPort } from "../helpers/asset-server.ts";
import path from "node:path";
import { testModelPath } from "@rein/test-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { reinBin, repositoryRoot, startRein } from "./cli-process.ts";

/** Runs `rein ...args` with stdin closed; resolves with its exit code and output. */
function rein(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [reinBin, ...args], { cwd: repositoryRoot, env: { ...process.env, REIN_THREADS: "1", REIN_VERBOSE: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

/** The one line a mistake must produce: names the problem, the class and the numeric code. */
function expectOnePlainLine(stderr: string, problem: RegExp, errorName: string, code: number): void {
  const lines = stderr.split("\n").filter((line) => line.trim() !== "");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(problem);
  expect(lines[0]).toMatch(new RegExp(`^rein: .*\\(${errorName}, code ${code}\\)$`));
  expect(stderr).not.toMatch(/triggerUncaughtException|--- worker stack ---|^\s+at /m);
}


describe("rein: user mistakes get one plain line and exit 1 or 2", () => {
  let directory: Awaited<ReturnType<typeof makeTempDir>>;
  let textFile: string;
  let ggufNamedBin: string;

  beforeAll(async () => {
    directory = await makeTempDir("rein-cli-errors-");
    textFile = path.join(directory.path, "notes.gguf");
    await writeFile(textFile, "not a model, just text\n");
    ggufNamedBin = path.join(directory.path, "model.bin");
    await copyFile(await testModelPath(), ggufNamedBin);
  });
  afterAll(() => directory.remove());

  it("a missing model file: ModelNotFoundError (52001), exit 1", async () => {
    const missing = path.join(directory.path, "missing.gguf");
    const result = await rein(["chat", "--model", missing]);
    expect(result.code).toBe(1);
    expectOnePlainLine(result.stderr, new RegExp(`not found: ${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`), "ModelNotFoundError", 52001);
  });

  it("a missing .bin file is reported as missing (its name is not the problem)", async () => {
    const result = await rein(["chat", "--model", path.join(directory.path, "weights.bin")]);
    expect(result.code).toBe(1);
    expectOnePlainLine(result.stderr, /not found: .*weights\.bin/, "ModelNotFoundError", 52001);
  });

  it("a file that is not a GGUF (even named .gguf): InvalidInputError (50001), exit 2", async () => {
    const result = await rein(["chat", "--model", textFile]);
    expect(result.code).toBe(2);
    expectOnePlainLine(result.stderr, /notes\.gguf is not a GGUF model file/, "InvalidInputError", 50001);
  });

  it("an unreachable URL on 127.0.0.1: DownloadFailedError (53000), exit 1, and no promise of a resume", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/model.gguf`;
    const result = await rein(["chat", "--model", url]);
    expect(result.code).toBe(1);
    expectOnePlainLine(result.stderr, /ECONNREFUSED.*nothing was downloaded/, "DownloadFailedError", 53000);
  });

  it("a bad option value and a missing --model: commander's one-line error, exit 2", async () => {
    const badValue = await rein(["chat", "--model", textFile, "--threads", "many"]);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toMatch(/^error: option '--threads <count>' argument 'many' is invalid\. must be a whole number/m);
    expect(badValue.stderr).not.toMatch(/^\s+at /m);
    const noModel = spawn(process.execPath, [reinBin, "chat"], { cwd: repositoryRoot, env: { ...process.env, REIN_MODEL: "" }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    noModel.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const code = await new Promise((resolve) => noModel.once("close", resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: rein chat needs --model/m);
  });

  it("--verbose adds the stack (the worker's included) after the same line", async () => {
    const result = await rein(["chat", "--model", textFile, "--verbose"]);
    expect(result.code).toBe(2);
    const [first, ...rest] = result.stderr.split("\n");
    expect(first).toMatch(/^rein: .*not a GGUF model file.*\(InvalidInputError, code 50001\)$/);
    expect(rest.join("\n")).toMatch(/^\s+at /m);
    expect(rest.join("\n")).toContain("--- worker stack ---");
  });

  it("a valid GGUF is accepted whatever its file name: model.bin chats", async () => {
    const cli = startRein(["chat", "--model", ggufNamedBin, "--max-tokens", "4"]);
    await cli.waitForOutput((text) => text.endsWith("> "), "the first prompt");
    cli.write("hello\n");
    await cli.waitForOutput((text) => /\[length: 4 tokens[^\]]*\]\n> $/.test(text), "a finished reply");
    cli.child.stdin.end();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr).not.toMatch(/rein: /);
  });
});
