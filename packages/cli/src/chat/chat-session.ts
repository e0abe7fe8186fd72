/**
 * `rein chat`: a REPL on one model. Ctrl+C while a reply streams cancels that
 * request and returns to the prompt; Ctrl+C at an empty prompt (or Ctrl+D, or
 * the end of piped input) exits.
 *
 * Ctrl+C arrives two ways and both go to the same handler:
 * - on a terminal, readline holds it in raw mode and emits its `SIGINT` event
 *   (no signal is sent, so the worker process is not touched);
 * - with piped stdin (scripts, tests, `kill -INT`), a real SIGINT reaches the process.
 */
import { createInterface } from "node:readline";
import { createClient, InferenceCancelledError, type ChatMessage, type ReinClient } from "@rein/sdk";
import { createProgressBars } from "../progress/progress-bars.ts";
import { LineQueue } from "./line-queue.ts";
import { streamReply } from "./stream-reply.ts";

export interface ChatOptions {
  /** A .gguf path or an http(s) URL. */
  model: string;
  maxTokens?: number;
  temperature?: number;
  system?: string;
  threads?: number;
  ctxSize?: number;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  /** Progress bars and notices; stdout stays the conversation. */
  errorOutput?: NodeJS.WriteStream;
}

/** What Ctrl+C stops right now: the model load, a streaming reply, or (null) the prompt itself. */
interface Interruptible {
  cancel(): void;
  interrupted: boolean;
}

/** Exit status of `rein` after an interrupted model load, as shells report SIGINT. */
const INTERRUPTED_EXIT_CODE = 130;

/**
 * Runs the chat until the user leaves; resolves to the process exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runChat({ model: "./qwen3-0.6b-q4.gguf", maxTokens: 256, system: "Be brief." });
 * ```
 */
export async function runChat(options: ChatOptions): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const errorOutput = options.errorOutput ?? process.stderr;
  const terminal = input.isTTY === true && output.isTTY === true;
  // Created before the load, so that a Ctrl+C during the load already lands in our handler.
  const readline = createInterface({ input, output, terminal, prompt: "> " });
  const lines = new LineQueue(readline);
  // The CLI owns its worker; after a crash the model comes back under the same id before the next question.
  const client = createClient({ threads: options.threads, reloadModelsOnRestart: true });
  let current: Interruptible | null = null;

  const onInterrupt = () => {
    if (current) {
      if (current.interrupted) process.exit(INTERRUPTED_EXIT_CODE); // second Ctrl+C while the first is being honoured
      current.interrupted = true;
      current.cancel();
    } else if (terminal && readline.line.length > 0) {
      // Like a shell: Ctrl+C on a half-typed line discards it.
      output.write("^C\n");
      (readline as unknown as { line: string }).line = "";
      readline.prompt();
    } else {
      lines.end();
    }
  };
  readline.on("SIGINT", onInterrupt);
  process.on("SIGINT", onInterrupt);

  try {
    const modelId = await loadWithProgress(client, options, errorOutput, (interruptible) => (current = interruptible));
    current = null;
    if (modelId === null) return INTERRUPTED_EXIT_CODE;

    output.write(`rein chat: ${options.model}\nCtrl+C stops a reply; Ctrl+C on an empty prompt exits.\n`);
    const history: ChatMessage[] = options.system ? [{ role: "system", content: options.system }] : [];
    for (;;) {
      readline.prompt();
      const line = await lines.next();
      if (line === null) break;
      const content = line.trim();
      if (content === "") continue;
      history.push({ role: "user", content });
      const run = client.completion({ modelId, history: [...history], maxTokens: options.maxTokens, temperature: options.temperature });
      current = { cancel: () => void run.cancel().catch(() => undefined), interrupted: false };
      const reply = await streamReply(run, output);
      current = null;
      if (reply.error && !InferenceCancelledError.isInstance(reply.error) && reply.stopReason !== "timeout") {
        history.pop(); // a failed turn is not part of the conversation
      } else if (reply.text !== "") {
        // A stopped answer stays in the history as far as it got: it is what the user saw.
        history.push({ role: "assistant", content: reply.text });
      }
    }
    if (terminal) output.write("\n");
    return 0;
  } finally {
    process.off("SIGINT", onInterrupt);
    readline.close();
    await client.close();
  }
}

/** Loads the model with a progress bar; resolves to null when Ctrl+C cancelled the load. */
async function loadWithProgress(
  client: ReinClient,
  options: ChatOptions,
  errorOutput: NodeJS.WriteStream,
  setCurrent: (interruptible: Interruptible) => void,
): Promise<string | null> {
  const bars = createProgressBars(errorOutput);
  const modelConfig = options.ctxSize === undefined ? undefined : { ctx_size: options.ctxSize };
  const load = client.loadModel({ modelSrc: options.model, modelConfig, onProgress: (progress) => bars.update(progress) });
  setCurrent({ cancel: () => void load.cancel().catch(() => undefined), interrupted: false });
  try {
    return await load;
  } catch (error) {
    if (!InferenceCancelledError.isInstance(error)) throw error;
    errorOutput.write("\n[stopped] model load cancelled\n");
    return null;
  } finally {
    bars.stop();
  }
}
