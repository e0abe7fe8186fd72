/**
 * Starts examples/stop-button/server.ts (node with tsx's loader, as
 * `npm run example:stop-button` does) on a free port, and reads the port from
 * its "listening on" line. It runs in its own process group, so `stop()`
 * reaches the server and its worker even if a test failed half-way.
 *
 * @example
 * ```ts
 * const app = await startStopButtonApp();
 * const registry = await app.getJson("/api/registry");
 * await app.stop();
 * ```
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface RegistrySnapshot {
  requests: { requestId: string; state: string }[];
  queued: number;
}

import type { Outcome } from "../../examples/stop-button/completion-stream.ts";

export type { Outcome };

export interface StopButtonApp {
  url: string;
  getJson<T>(path: string): Promise<T>;
  registry(): Promise<RegistrySnapshot>;
  /** Resolves once the server finished the request (the server answers when it ends). */
  outcome(requestId: string): Promise<Outcome>;
  stop(): Promise<void>;
}

export async function startStopButtonApp(): Promise<StopButtonApp> {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/stop-button/server.ts"], {
    cwd: repositoryRoot,
    detached: true,
    // A reply far longer than any test waits: Stop (or the closed tab), never maxTokens, ends it.
    env: { ...process.env, PORT: "0", REIN_THREADS: "1", MAX_TOKENS: "100000", REIN_MODEL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (text: string) => {
      output += text;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
    child.once("exit", (code) => reject(new Error(`stop-button server exited (${code}) before listening:\n${output}`)));
  });
  // stdout closes when every process holding it is gone: the server and the worker it spawned.
  const allGone = new Promise<void>((resolve) => child.stdout.once("close", () => resolve()));

  const getJson = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    url,
    getJson,
    registry: () => getJson<RegistrySnapshot>("/api/registry"),
    outcome: (requestId) => getJson<Outcome>(`/api/requests/${requestId}/outcome`),
    async stop() {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // The group is already gone.
      }
      await allGone;
    },
  };
}
