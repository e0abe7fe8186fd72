import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { RemoteModel } from "@rein/server";

const fixture = fileURLToPath(new URL("../fixtures/host-server.ts", import.meta.url));

export interface HostProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** modelId of each model the host loaded at start, by name. */
  readonly models: Record<string, string>;
  readonly exited: Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts test/fixtures/host-server.ts in its own process and resolves once it prints its address. */
export async function startHostProcess(options: { keys: Record<string, string>; models: RemoteModel[]; port?: number; policies?: object; maxRequestsPerOwner?: number }): Promise<HostProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: {
      ...process.env,
      REIN_TEST_KEYS: JSON.stringify(options.keys),
      REIN_TEST_MODELS: JSON.stringify(options.models),
      REIN_TEST_PORT: String(options.port ?? 0),
      ...(options.policies ? { REIN_TEST_POLICIES: JSON.stringify(options.policies) } : {}),
      ...(options.maxRequestsPerOwner ? { REIN_TEST_MAX_PER_OWNER: String(options.maxRequestsPerOwner) } : {}),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  let output = "";
  const ready = new Promise<{ url: string; models: Record<string, string> }>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      const line = output.split("\n").find((candidate) => candidate.startsWith("{"));
      if (line && output.includes("\n")) resolve(JSON.parse(line));
    });
    void exited.then(([code]) => reject(new Error(`the host exited with code ${code} before serving: ${output}`)));
  });
  const { url, models } = await ready;
  return {
    child,
    url,
    models,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
