import { spawnSync } from "node:child_process";
import { testModelPath } from "@rein/test-model";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { reinBin, startProcess, type ReinProcess } from "./cli-process.ts";

/**
 * The terminal path: util-linux `script` gives rein a pseudo-terminal, so
 * readline runs in raw mode and Ctrl+C arrives as the byte 0x03 (readline's
 * SIGINT event), not as a signal.
 */
let modelPath: string;
let cli: ReinProcess | undefined;

beforeAll(async () => {
  modelPath = await testModelPath();
  const available = spawnSync("script", ["--version"], { encoding: "utf8" });
  if (available.status !== 0) throw new Error("this test needs util-linux `script` for a pseudo-terminal (apt-get install bsdutils)");
});

afterEach(() => {
  if (cli && cli.child.exitCode === null) cli.child.kill("SIGKILL");
});

describe("rein chat on a terminal", () => {
  it("draws the load progress bar, stops a reply on Ctrl+C and exits on Ctrl+C at an empty prompt", async () => {
    const command = [process.execPath, reinBin, "chat", "--model", modelPath, "--max-tokens", "2000"].map((part) => `'${part}'`).join(" ");
    cli = startProcess("script", ["--quiet", "--return", "--command", command, "/dev/null"], { env: { TERM: "dumb" } });
    await cli.waitForOutput((text) => text.endsWith("> "), "the first prompt");
    // cli-progress draws only on a terminal; through the pty stderr and stdout arrive together.
    expect(cli.stdout).toMatch(/load +\[[█░]+\] 100%/);

    cli.write("Tell me a long story.\r");
    const replyStart = cli.stdout.length;
    await cli.waitForOutput((text) => text.length > replyStart + 60, "the reply to stream");
    cli.write("\u0003");
    await cli.waitForOutput((text) => /\[stopped\]\r\n> $/.test(text), "[stopped] and a new prompt");

    cli.write("\u0003");
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });
});
