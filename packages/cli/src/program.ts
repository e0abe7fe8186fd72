import path from "node:path";
import { testModelPath } from "@rein/test-model";
import { Command, InvalidArgumentError } from "commander";
import { runChat } from "./chat/chat-session.ts";
import { parseModelSpecs } from "./serve/model-specs.ts";
import { checkP2pOptions, runServe, ServeUsageError } from "./serve/start-serve.ts";

interface ChatCommandOptions {
  model?: string;
  verbose?: boolean;
  maxTokens: number;
  temperature?: number;
  system?: string;
  threads?: number;
  ctxSize?: number;
}

interface ServeCommandOptions {
  host: string;
  port: number;
  model: string[];
  apiKey: string[];
  adminKey?: string;
  ctxSize?: number;
  parallel?: number;
  threads?: number;
  maxRequestsPerKey?: number;
  bodyLimit?: number;
  corsOrigin?: string;
  p2p?: boolean;
  allow: string[];
  allowAnyClient?: boolean;
  bootstrap: string[];
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

  program
    .command("serve")
    .description("serve models over an OpenAI-compatible HTTP API with a live dashboard; a client that disconnects cancels its request")
    .option("--host <address>", "address to listen on; anything but loopback needs an API key", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", integer(0), 8080)
    .option("-m, --model <[name=]path|url>", 'a model to serve (repeatable): a GGUF path, an http(s) URL, or "tiny"; name defaults to the file name without .gguf', collect, [])
    .option("--api-key <key>", "a key clients must send as Authorization: Bearer <key> (repeatable; default: $REIN_API_KEY)", collect, [])
    .option("--admin-key <key>", "a key that sees and cancels every request, not only its own (default: $REIN_ADMIN_KEY)")
    .option("--ctx-size <tokens>", "context size in tokens of every model (default 2048)", integer(64))
    .option("--parallel <count>", "completions that run at once per model; more wait in its queue (default 1)", integer(1))
    .option("--threads <count>", "CPU threads for the models (default: $REIN_THREADS or half the cores)", integer(1))
    .option("--max-requests-per-key <count>", "requests one API key may have in flight at once, HTTP and WebSocket together (default: no limit)", integer(1))
    .option("--body-limit <bytes>", "largest request body (default 8 MiB)", integer(1024))
    .option("--cors-origin <origin>", "allow browser calls from this one origin (default: no CORS headers)")
    .option("--p2p", "also serve on the HyperDHT under this machine's key pair (printed as p2p: <public key>); needs --allow or --allow-any-client")
    .option("--allow <public key>", "a client public key that may connect over --p2p (repeatable; `rein p2p key` prints a machine's)", collect, [])
    .option("--allow-any-client", "let any client key connect over --p2p (each still sees only its own requests)")
    .option("--bootstrap <host:port>", "a DHT bootstrap node for --p2p (repeatable; default: the public HyperDHT bootstrap nodes)", collect, [])
    .addHelpText(
      "after",
      `
Routes: GET /v1/models, POST /v1/chat/completions, POST /v1/embeddings,
        POST /v1/requests/{requestId}/cancel, the dashboard at /,
        and ws://<host>:<port>/rein for Rein clients (createClient({ url, apiKey })).
Every response carries x-request-id (the Rein requestId); send your own UUIDv4 to choose it.

Examples:
  rein serve --model tiny --port 0
  rein serve --model chat=./qwen3-0.6b-q4_k_m.gguf --model ./nomic-embed.gguf --parallel 4
  REIN_API_KEY=s3cret rein serve --host 0.0.0.0 --model ./model.gguf
  rein serve --model ./model.gguf --p2p --allow <client public key>`,
    )
    .action(async (options: ServeCommandOptions, command: Command) => {
      const apiKeys = options.apiKey.length > 0 ? options.apiKey : process.env.REIN_API_KEY ? [process.env.REIN_API_KEY] : [];
      const adminKey = options.adminKey ?? (process.env.REIN_ADMIN_KEY || undefined);
      const p2p = p2pOptions(options, command);
      let models;
      try {
        models = parseModelSpecs(options.model.length > 0 ? options.model : process.env.REIN_MODEL ? [process.env.REIN_MODEL] : []);
      } catch (error) {
        command.error(`error: ${(error as Error).message}`, { exitCode: 2 });
      }
      if (models.length === 0) command.error("error: rein serve needs --model [name=]<path|url> (or REIN_MODEL)", { exitCode: 2 });
      for (const model of models) if (model.modelSrc === "tiny") model.modelSrc = await testModelPath();
      const modelConfig = { ...(options.ctxSize !== undefined ? { ctx_size: options.ctxSize } : {}), ...(options.parallel !== undefined ? { parallel: options.parallel } : {}) };
      try {
        process.exitCode = await runServe({
          host: options.host,
          port: options.port,
          models,
          keys: { apiKeys, adminKey },
          modelConfig: Object.keys(modelConfig).length > 0 ? modelConfig : undefined,
          threads: options.threads,
          maxRequestsPerKey: options.maxRequestsPerKey,
          bodyLimit: options.bodyLimit,
          corsOrigin: options.corsOrigin,
          p2p,
        });
      } catch (error) {
        if (error instanceof ServeUsageError) command.error(`error: ${error.message}`, { exitCode: 2 });
        throw error;
      }
    });

  program
    .command("p2p")
    .description("this machine's identity on the HyperDHT")
    .command("key")
    .description("print this machine's client public key (created on first use): send it to a peer's operator for --allow")
    .option("--server", "print the key `rein serve --p2p` serves under instead")
    .action(async (options: { server?: boolean }) => {
      const [{ loadOrCreateKeyPair, formatPublicKey }, { defaultClientKeyPairFile }, { defaultCacheDir }] = await Promise.all([import("@rein/p2p"), import("@rein/sdk"), import("@rein/server")]);
      const file = options.server ? path.join(defaultCacheDir(), "p2p", "server-key-pair.json") : defaultClientKeyPairFile();
      const keyPair = await loadOrCreateKeyPair(file);
      process.stdout.write(`${formatPublicKey(keyPair.publicKey)}\n`);
    });

  program.addHelpText("after", "\nStart with: rein chat --model <path|url>   (details: rein chat --help)\nServe models over HTTP: rein serve --model <path|url>   (details: rein serve --help)");

  return program;
}

/** `--allow`, `--allow-any-client` and `--bootstrap` mean nothing without `--p2p`: a usage error, not silence. */
function p2pOptions(options: ServeCommandOptions, command: Command) {
  if (!options.p2p) {
    if (options.allow.length > 0 || options.allowAnyClient || options.bootstrap.length > 0) command.error("error: --allow, --allow-any-client and --bootstrap need --p2p", { exitCode: 2 });
    return undefined;
  }
  const p2p = { allow: options.allow, allowAnyClient: options.allowAnyClient === true, bootstrap: options.bootstrap.length > 0 ? options.bootstrap : undefined };
  try {
    checkP2pOptions(p2p);
  } catch (error) {
    // One line, no help text after it: the line says what to add.
    command.showHelpAfterError(false);
    command.error(`error: ${(error as Error).message}`, { exitCode: 2 });
  }
  return p2p;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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
