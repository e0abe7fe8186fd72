import type { Socket } from "node:net";
import { spawnWorker, type SpawnWorkerOptions } from "./spawn-worker.ts";
import type { TransportLink } from "./transport-link.ts";

/**
 * Spawns a worker process and links to it over its fd-3 pipe.
 *
 * @example
 * ```ts
 * const link = spawnProcessLink({ stdio: "ignore" });
 * const { exitCode } = (await link.gone) as { type: "exited"; exitCode: number | null };
 * ```
 */
export function spawnProcessLink(options: SpawnWorkerOptions = {}): TransportLink {
  const worker = spawnWorker(options);
  const channel = worker.channel as Partial<Pick<Socket, "ref" | "unref">> & typeof worker.channel;
  return {
    kind: "process",
    channel: worker.channel,
    gone: worker.exited.then(({ exitCode, signal }) => ({ type: "exited" as const, exitCode, signal })),
    get pid() {
      return worker.child.pid;
    },
    kill: (signal = "SIGKILL") => void worker.child.kill(signal),
    setReferenced(referenced) {
      if (referenced) {
        worker.child.ref();
        channel.ref?.();
      } else {
        worker.child.unref();
        channel.unref?.();
      }
    },
  };
}
