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
  /** The host's registry lifecycle lines so far (with `lifecycle: true`). */
  readonly lifecycle: LifecycleLine[];
  /** Resolves with the first lifecycle line (seen or to come) that `matches`. */
  waitForLifecycle(matches: (line: LifecycleLine) => boolean): Promise<LifecycleLine>;
  stop(): Promise<void>;
}

/** One registry lifecycle line of the host (see packages/server/src/registry/lifecycle-log.ts). */
export interface LifecycleLine {
  event: string;
  requestId: string;
  kind: string;
  modelId: string | null;
  state: string;
  reason?: string;
}

/** Starts test/fixtures/host-server.ts in its own process and resolves once it prints its address. */
export async function startHostProcess(options: {
  keys: Record<string, string>;
  models: RemoteModel[];
  port?: number;
  policies?: object;
  maxRequestsPerOwner?: number;
  lifecycle?: boolean;
}): Promise<HostProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: {
      ...process.env,
      REIN_TEST_KEYS: JSON.stringify(options.keys),
      REIN_TEST_MODELS: JSON.stringify(options.models),
      REIN_TEST_PORT: String(options.port ?? 0),
      ...(options.policies ? { REIN_TEST_POLICIES: JSON.stringify(options.policies) } : {}),
      ...(options.maxRequestsPerOwner ? { REIN_TEST_MAX_PER_OWNER: String(options.maxRequestsPerOwner) } : {}),
      ...(options.lifecycle ? { REIN_TEST_LIFECYCLE: "1" } : {}),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  let output = "";
  let pending = "";
  const lifecycle: LifecycleLine[] = [];
  const waiters = new Set<{ matches: (line: LifecycleLine) => boolean; resolve: (line: LifecycleLine) => void }>();
  const ready = new Promise<{ url: string; models: Record<string, string> }>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines.filter((candidate) => candidate.startsWith("{"))) {
        const parsed = JSON.parse(line) as { url?: string; models?: Record<string, string>; lifecycle?: LifecycleLine };
        if (parsed.lifecycle === undefined) {
          resolve(parsed as { url: string; models: Record<string, string> });
          continue;
        }
        lifecycle.push(parsed.lifecycle);
        for (const waiter of waiters) {
          if (!waiter.matches(parsed.lifecycle)) continue;
          waiters.delete(waiter);
          waiter.resolve(parsed.lifecycle);
        }
      }
    });
    void exited.then(([code]) => reject(new Error(`the host exited with code ${code} before serving: ${output}`)));
  });
  const { url, models } = await ready;
  return {
    child,
    url,
    models,
    exited,
    lifecycle,
    waitForLifecycle(matches) {
      const seen = lifecycle.find(matches);
      if (seen) return Promise.resolve(seen);
      const gone = exited.then(() => Promise.reject(new Error(`the host exited before the lifecycle line came: ${output}`)));
      return Promise.race([new Promise<LifecycleLine>((resolve) => waiters.add({ matches, resolve })), gone]);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
