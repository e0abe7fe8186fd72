/**
 * Starts the real `rein serve` CLI on a free port (--port 0) and reads the
 * bound URL from its stdout. Helpers for the HTTP tests: authenticated fetch,
 * the registry as the admin sees it, and waiting on a registry condition.
 *
 * @example
 * ```ts
 * const server = await startServeProcess(["--model", "tiny", "--admin-key", "root"]);
 * const response = await server.fetch("/v1/models", { key: "root" });
 * await server.stop();
 * ```
 */
import { startRein, type ReinProcess } from "../cli/cli-process.ts";

export interface RegistryView {
  requests: { requestId: string; kind: string; model: string | null; state: string; ageMs: number | null; queuePosition: number | null; cancelReason: string | null }[];
  models: { name: string; modelId: string; running: number; queued: number }[];
  memory: { rss: number; heapUsed: number };
  pid: number;
  metrics: Record<string, number> | null;
}

export interface ServeProcess {
  readonly url: string;
  readonly cli: ReinProcess;
  /** fetch(url + path) with `Authorization: Bearer <key>` when `key` is given. */
  fetch(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  /** POST a JSON body. */
  post(path: string, body: unknown, init?: RequestInit & { key?: string }): Promise<Response>;
  /** GET /v1/rein/registry with `key` (the admin key sees everything). */
  registry(key?: string): Promise<RegistryView>;
  /** Polls the registry until `predicate` holds; fails with the last view after a guard time. */
  waitForRegistry(predicate: (view: RegistryView) => boolean, what: string, key?: string): Promise<RegistryView>;
  /** SIGTERM, then resolves with the exit status. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const GUARD_MS = 60_000;
/**
 * Start = tsx compiling the CLI, spawning the worker and loading the model: on a shared 2-core machine running
 * several suites (load ~20) that took over 30 s, the CLI helper's own guard. A hang still fails, later.
 */
const START_GUARD_MS = 180_000;

function listening(cli: ReinProcess): Promise<void> {
  const pattern = /listening on http:\/\/\S+\n/;
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      clearTimeout(guard);
      cli.child.stdout.off("data", check);
      cli.child.off("exit", onExit);
      if (error) reject(new Error(`${error.message}\n--- stdout ---\n${cli.stdout}\n--- stderr ---\n${cli.stderr}`));
      else resolve();
    };
    const check = () => {
      if (pattern.test(cli.stdout)) finish();
    };
    const onExit = () => finish(new Error("rein serve exited before it listened"));
    const guard = setTimeout(() => finish(new Error("timed out waiting for the listening line")), START_GUARD_MS);
    // Registered after the helper's own data listener, so `cli.stdout` already holds the new text.
    cli.child.stdout.on("data", check);
    cli.child.once("exit", onExit);
    check();
  });
}

export async function startServeProcess(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<ServeProcess> {
  const cli = startRein(["serve", "--port", "0", ...args], { env: options.env });
  await listening(cli);
  const url = /listening on (http:\/\/\S+)\n/.exec(cli.stdout)![1]!;
  const call = (path: string, init: RequestInit & { key?: string } = {}) => {
    const { key, headers, ...rest } = init;
    return fetch(url + path, { ...rest, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(headers as Record<string, string> | undefined) } });
  };
  const registry = async (key?: string): Promise<RegistryView> => {
    const response = await call("/v1/rein/registry", { key });
    if (!response.ok) throw new Error(`registry: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as RegistryView;
  };
  return {
    url,
    cli,
    fetch: call,
    post: (path, body, init = {}) => call(path, { ...init, method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) } }),
    registry,
    async waitForRegistry(predicate, what, key) {
      const started = Date.now();
      let view = await registry(key);
      // Polling the server's own view is the event here: the HTTP API has no push channel for registry changes.
      while (!predicate(view)) {
        if (Date.now() - started > GUARD_MS) throw new Error(`timed out waiting for ${what}; registry: ${JSON.stringify(view)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        view = await registry(key);
      }
      return view;
    },
    async stop() {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGTERM");
      return cli.exited;
    },
  };
}

/** Reads an SSE response until `predicate` holds on the `data:` payloads so far; leaves the body open. */
export async function readEvents(response: Response, predicate: (events: string[]) => boolean): Promise<{ events: string[]; reader: ReadableStreamDefaultReader<string> }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: string[] = [];
  let buffer = "";
  while (!predicate(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (line.startsWith("data: ")) events.push(line.slice(6));
    }
  }
  return { events, reader };
}

/** Every `data:` payload of an SSE response, to its end. */
export async function allEvents(response: Response): Promise<string[]> {
  const { events } = await readEvents(response, () => false);
  return events;
}

export function chatBody(fields: Record<string, unknown> = {}) {
  return { model: "tiny", messages: [{ role: "user", content: "Tell me a long story." }], ...fields };
}
