import { spawnSync } from "node:child_process";
import { testModelPath } from "@rein/test-model";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { reinBin, startRein, type ReinProcess } from "./cli-process.ts";

let modelPath: string;
const running: ReinProcess[] = [];

beforeAll(async () => {
  modelPath = await testModelPath();
});

afterEach(() => {
  for (const cli of running.splice(0)) if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
});

function chat(...extra: string[]): ReinProcess {
  // 2000 tokens: a reply is still streaming when the test interrupts it (~2,000 tok/s on the tiny model).
  const cli = startRein(["chat", "--model", modelPath, "--max-tokens", "2000", ...extra]);
  running.push(cli);
  return cli;
}

const atPrompt = (text: string) => text.endsWith("> ");

describe("rein --help", () => {
  it("documents the chat command, its options and Ctrl+C", () => {
    const top = spawnSync(process.execPath, [reinBin, "--help"], { encoding: "utf8" });
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/chat \[options\]/);
    const help = spawnSync(process.execPath, [reinBin, "chat", "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    for (const option of ["--model <path|url>", "--max-tokens <count>", "--temperature <value>", "--system <text>"]) expect(help.stdout).toContain(option);
    expect(help.stdout).toMatch(/Ctrl\+C +while a reply streams/);
    expect(help.stdout).toMatch(/Ctrl\+C +at an empty prompt: exit/);
  });

  it("refuses a chat without a model and an invalid option value", () => {
    const environment = { ...process.env, REIN_MODEL: "" };
    const noModel = spawnSync(process.execPath, [reinBin, "chat"], { encoding: "utf8", env: environment });
    expect(noModel.status).not.toBe(0);
    expect(noModel.stderr).toMatch(/needs --model/);
    const badTemperature = spawnSync(process.execPath, [reinBin, "chat", "--model", "x.gguf", "--temperature", "hot"], { encoding: "utf8", env: environment });
    expect(badTemperature.status).not.toBe(0);
    expect(badTemperature.stderr).toMatch(/--temperature.*must be a number/);
  });
});

describe("rein chat with piped stdin", () => {
  it("streams, stops the reply on SIGINT, answers again, and exits on SIGINT at the prompt", async () => {
    const cli = chat();
    await cli.waitForOutput(atPrompt, "the first prompt");
    expect(cli.stderr).toContain("loading model");

    cli.write("Tell me a long story.\n");
    const replyStart = cli.stdout.length;
    await cli.waitForOutput((text) => text.length > replyStart + 20, "the first reply to stream");
    cli.child.kill("SIGINT");
    await cli.waitForOutput((text) => text.slice(replyStart).includes("[stopped]\n> "), "[stopped] and a new prompt");
    const firstReply = cli.stdout.slice(replyStart, cli.stdout.indexOf("[stopped]", replyStart));
    expect(firstReply.trim().length).toBeGreaterThan(0);
    // Stopped, not finished: a finished reply ends with its stop reason and token count instead.
    expect(cli.stdout).not.toMatch(/\[length: \d+ tokens/);

    cli.write("And another one?\n");
    const secondStart = cli.stdout.length;
    await cli.waitForOutput((text) => text.length > secondStart + 20, "the second reply to stream");
    cli.child.kill("SIGINT");
    await cli.waitForOutput((text) => text.slice(secondStart).includes("[stopped]\n> "), "the second [stopped]");

    cli.child.kill("SIGINT"); // at an empty prompt: leave
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });

  it("finishes a short reply with its stop reason and exits at the end of input", async () => {
    const cli = chat("--max-tokens", "8", "--system", "You are terse.", "--temperature", "0");
    await cli.waitForOutput(atPrompt, "the first prompt");
    cli.write("Hello\n");
    await cli.waitForOutput((text) => /\[length: 8 tokens[^\]]*\]\n> $/.test(text), "a finished reply");
    cli.child.stdin.end();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdout).not.toContain("[stopped]");
  });
});
