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

export interface PeerProcessOptions {
  bootstrap: string[];
  keyFile: string;
  allow: string[];
  models: RemoteModel[];
}

/** Starts test/fixtures/peer-server.ts in its own process; resolves once it serves on the DHT. */
export async function startPeerProcess(options: PeerProcessOptions): Promise<PeerProcess> {
  return (await spawnPeer(options, false)).listen();
}

/**
 * Starts a peer process that loads its models but goes on the DHT only when `listen()` is called: a
 * replacement made ready while the peer it replaces (same key file) still runs.
 */
export async function preparePeerProcess(options: PeerProcessOptions): Promise<{ child: ChildProcess; listen(): Promise<PeerProcess>; stop(): Promise<void> }> {
  return spawnPeer(options, true);
}

async function spawnPeer(options: PeerProcessOptions, deferListen: boolean): Promise<{ child: ChildProcess; listen(): Promise<PeerProcess>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: {
      ...process.env,
      REIN_TEST_BOOTSTRAP: JSON.stringify(options.bootstrap),
      REIN_TEST_KEY_FILE: options.keyFile,
      REIN_TEST_ALLOW: JSON.stringify(options.allow),
      REIN_TEST_MODELS: JSON.stringify(options.models),
      ...(deferListen ? { REIN_TEST_DEFER_LISTEN: "1" } : {}),
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const events: PeerEvent[] = [];
  const waiters = new Set<{ predicate: (event: PeerEvent) => boolean; resolve: (event: PeerEvent) => void }>();
  let buffered = "";
  let ready: ((value: { publicKey: string; models: Record<string, string> }) => void) | undefined;
  let loaded: (() => void) | undefined;
  const started = new Promise<{ publicKey: string; models: Record<string, string> }>((resolve, reject) => {
    ready = resolve;
    void exited.then(([code]) => reject(new Error(`the peer exited with code ${code} before serving`)));
  });
  const modelsLoaded = new Promise<void>((resolve, reject) => {
    loaded = resolve;
    void exited.then(([code]) => reject(new Error(`the peer exited with code ${code} before loading its models`)));
  });
  // Whichever of the two a caller does not await must not become an unhandled rejection.
  started.catch(() => undefined);
  modelsLoaded.catch(() => undefined);
  child.stdout!.setEncoding("utf8").on("data", (text: string) => {
    buffered += text;
    const lines = buffered.split(os.EOL);
    buffered = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      const value = JSON.parse(line) as PeerEvent & { publicKey?: string; models?: Record<string, string>; loaded?: boolean };
      if (value.loaded) {
        loaded?.();
        continue;
      }
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
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  if (deferListen) await modelsLoaded;
  const listen = async (): Promise<PeerProcess> => {
    if (deferListen) child.stdin!.write("listen\n");
    const { publicKey, models } = await started;
    return peerProcess({ child, publicKey, models, exited, events, waiters, stop });
  };
  return { child, listen, stop };
}

function peerProcess(parts: {
  child: ChildProcess;
  publicKey: string;
  models: Record<string, string>;
  exited: Promise<unknown>;
  events: PeerEvent[];
  waiters: Set<{ predicate: (event: PeerEvent) => boolean; resolve: (event: PeerEvent) => void }>;
  stop(): Promise<void>;
}): PeerProcess {
  const { child, publicKey, models, exited, events, waiters, stop } = parts;
  return {
    child,
    publicKey,
    models,
    exited,
    events,
    stop,
    waitFor(predicate) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.add({ predicate, resolve });
        void exited.then(() => reject(new Error("the peer exited before the event")));
      });
    },
  };
}
