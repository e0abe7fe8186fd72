import { testModelPath } from "@rein/test-model";
import { Command, InvalidArgumentError } from "commander";
import { runChat } from "./chat/chat-session.ts";

interface ChatCommandOptions {
  model?: string;
  verbose?: boolean;
  maxTokens: number;
  temperature?: number;
  system?: string;
  threads?: number;
  ctxSize?: number;
}

/**
 * The `rein` command line: `rein chat --model <path|url>` and `rein --help`.
 *
 * @example
 * ```ts
 * await createProgram().parseAsync(["node", "rein", "chat", "--model", "./model.gguf"]);
 * ```
 */
export function createProgram(): Command {
  const program = new Command("rein")
    .description("Chat with a local model. Every reply is a cancellable request: Ctrl+C stops it.")
    .version("0.1.0")
    .option("--verbose", "on an error, also print its stack trace (the worker's included)")
    .showHelpAfterError()
    // Errors surface as CommanderError to runCli, which owns the exit code; set before the commands inherit it.
    .exitOverride();

  program
    .command("chat")
    .description("talk to a model in a REPL; Ctrl+C stops the streaming reply, Ctrl+C on an empty prompt exits")
    .option("-m, --model <path|url>", 'a GGUF model file (any name), an http(s) URL to download it from, or "tiny" for the generated test model (default: $REIN_MODEL)')
    .option("-n, --max-tokens <count>", "most tokens per reply", integer(1), 512)
    .option("-t, --temperature <value>", "sampling temperature, 0 = deterministic", decimal(0, 10))
    .option("-s, --system <text>", "a system message that starts the conversation")
    .option("--threads <count>", "CPU threads for the model (default: $REIN_THREADS or half the cores)", integer(1))
    .option("--ctx-size <tokens>", "context size in tokens (default 2048)", integer(64))
    .option("--verbose", "on an error, also print its stack trace (the worker's included)")
    .addHelpText(
      "after",
      `
Keys:
  Ctrl+C   while a reply streams: stop it ([stopped]) and return to the prompt
  Ctrl+C   at an empty prompt: exit
  Ctrl+D   exit

Examples:
  rein chat --model tiny
  rein chat --model ./qwen3-0.6b-instruct-q4_k_m.gguf --system "Answer briefly."
  rein chat --model https://example.com/model.gguf --max-tokens 256 --temperature 0.7`,
    )
    .action(async (options: ChatCommandOptions, command: Command) => {
      const model = options.model ?? process.env.REIN_MODEL;
      if (!model) command.error("error: rein chat needs --model <path|url> (or REIN_MODEL)");
      // "tiny": Rein's generated test model, for trying the CLI without downloading anything (it writes gibberish).
      const { verbose: _verbose, ...chatOptions } = options;
      process.exitCode = await runChat({ ...chatOptions, model: model === "tiny" ? await testModelPath() : model });
    });

  program.addHelpText("after", "\nStart with: rein chat --model <path|url>   (details: rein chat --help)");

  return program;
}

function integer(minimum: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < minimum) throw new InvalidArgumentError(`must be a whole number, at least ${minimum}`);
    return parsed;
  };
}

function decimal(minimum: number, maximum: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (value.trim() === "" || !Number.isFinite(parsed) || parsed < minimum || parsed > maximum) {
      throw new InvalidArgumentError(`must be a number from ${minimum} to ${maximum}`);
    }
    return parsed;
  };
}
