import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type { RemoteModel } from "@rein/server";

const fixture = fileURLToPath(new URL("../fixtures/peer-server.ts", import.meta.url));

export interface PeerProcess {
  readonly child: ChildProcess;
  readonly publicKey: string;
  readonly models: Record<string, string>;
  readonly exited: Promise<unknown>;
  /** Every event line the peer printed so far (connections, registry lifecycle lines). */
  readonly events: PeerEvent[];
  /** Resolves with the first event (already printed or still to come) that matches. */
  waitFor(predicate: (event: PeerEvent) => boolean): Promise<PeerEvent>;
  stop(): Promise<void>;
}

export interface PeerEvent {
  connection?: string;
  lifecycle?: { event: string; requestId: string; state: string; reason?: string };
}

/** Starts test/fixtures/peer-server.ts in its own process; resolves once it serves on the DHT. */
export async function startPeerProcess(options: { bootstrap: string[]; keyFile: string; allow: string[]; models: RemoteModel[] }): Promise<PeerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: {
      ...process.env,
      REIN_TEST_BOOTSTRAP: JSON.stringify(options.bootstrap),
      REIN_TEST_KEY_FILE: options.keyFile,
      REIN_TEST_ALLOW: JSON.stringify(options.allow),
      REIN_TEST_MODELS: JSON.stringify(options.models),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const events: PeerEvent[] = [];
  const waiters = new Set<{ predicate: (event: PeerEvent) => boolean; resolve: (event: PeerEvent) => void }>();
  let buffered = "";
  let ready: ((value: { publicKey: string; models: Record<string, string> }) => void) | undefined;
  const started = new Promise<{ publicKey: string; models: Record<string, string> }>((resolve, reject) => {
    ready = resolve;
    void exited.then(([code]) => reject(new Error(`the peer exited with code ${code} before serving`)));
  });
  child.stdout!.setEncoding("utf8").on("data", (text: string) => {
    buffered += text;
    const lines = buffered.split(os.EOL);
    buffered = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      const value = JSON.parse(line) as PeerEvent & { publicKey?: string; models?: Record<string, string> };
      if (value.publicKey) {
        ready?.({ publicKey: value.publicKey, models: value.models ?? {} });
        continue;
      }
      events.push(value);
      for (const waiter of waiters) {
        if (!waiter.predicate(value)) continue;
        waiters.delete(waiter);
        waiter.resolve(value);
      }
    }
  });
  const { publicKey, models } = await started;
  return {
    child,
    publicKey,
    models,
    exited,
    events,
    waitFor(predicate) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.add({ predicate, resolve });
        void exited.then(() => reject(new Error("the peer exited before the event")));
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
