import { testModelPath } from "@rein/test-model";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startRein, type ReinProcess } from "./cli-process.ts";

/**
 * Ctrl+C on a terminal whose input is not in raw mode (`cat questions.txt |
 * rein chat ...` typed in a shell) is delivered by the terminal to the whole
 * foreground process group: to rein and to the worker process the SDK spawned.
 * The reply must stop as [stopped], not die with the worker.
 */
let modelPath: string;
let cli: ReinProcess | undefined;

beforeAll(async () => {
  modelPath = await testModelPath();
});

afterEach(() => {
  if (cli?.child.pid !== undefined && cli.child.exitCode === null) process.kill(-cli.child.pid, "SIGKILL");
});

describe("rein chat and a terminal's Ctrl+C to the process group", () => {
  it("stops the reply and keeps the worker (and its loaded model) alive", async () => {
    cli = startRein(["chat", "--model", modelPath, "--max-tokens", "2000"], { processGroup: true });
    await cli.waitForOutput((text) => text.endsWith("> "), "the first prompt");
    cli.write("Tell me a long story.\n");
    const replyStart = cli.stdout.length;
    await cli.waitForOutput((text) => text.length > replyStart + 20, "the reply to stream");

    process.kill(-cli.child.pid!, "SIGINT"); // what the terminal does: every process of the group gets it
    await cli.waitForOutput((text) => /\]\n> $/.test(text.slice(replyStart)), "the end of the reply and a new prompt");
    const status = /\[[^\]]*\]\n> $/.exec(cli.stdout)![0];
    expect(status).toBe("[stopped]\n> ");

    cli.child.kill("SIGINT");
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });
});
