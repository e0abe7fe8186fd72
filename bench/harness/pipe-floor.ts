import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import type { Duplex } from "node:stream";

/**
 * The floor under every Rein round trip on this machine: one byte to a plain Node process over a pipe (fd 3, as
 * the worker's RPC pipe) and one byte back, with no Rein code on either side. A cancel needs this round trip
 * plus the code at both ends, so the bench prints it beside the cancel latency, measured in the same run.
 */
export class PipeEcho implements AsyncDisposable {
  readonly #child: ChildProcess;
  readonly #pipe: Duplex;
  #waiting: { resolve: (at: number) => void; reject: (error: Error) => void } | undefined;
  #exited = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#pipe = child.stdio[3] as Duplex;
    this.#pipe.on("data", () => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.resolve(performance.now());
    });
    // A round trip in flight when the echo dies fails instead of waiting forever.
    child.once("exit", (code, signal) => {
      this.#exited = true;
      this.#waiting?.reject(new Error(`the pipe echo process exited (code ${code}, signal ${signal})`));
      this.#waiting = undefined;
    });
  }

  /**
   * Starts the echo process and waits until it answers once.
   *
   * @example
   * ```ts
   * await using echo = await PipeEcho.start();
   * const ms = await echo.roundTripMs();
   * ```
   */
  static async start(): Promise<PipeEcho> {
    const script = `const pipe = new (require("node:net").Socket)({ fd: 3 }); pipe.on("data", (bytes) => pipe.write(bytes.subarray(0, 1)));`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "ignore", "inherit", "pipe"] });
    const echo = new PipeEcho(child);
    await echo.roundTripMs();
    return echo;
  }

  /** One byte there and back, in ms (this process's clock). */
  roundTripMs(): Promise<number> {
    if (this.#waiting) throw new Error("one round trip at a time");
    if (this.#exited) return Promise.reject(new Error("the pipe echo process has exited"));
    const startedAt = performance.now();
    const answered = new Promise<number>((resolve, reject) => (this.#waiting = { resolve, reject }));
    this.#pipe.write(Buffer.of(1));
    return answered.then((at) => at - startedAt);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#exited) return;
    const exited = once(this.#child, "exit");
    this.#child.kill();
    await exited;
  }
}

/**
 * Round trips to `echo` spaced 2-6 ms apart (a cancel lands at any point of a decode step) while `busy` is
 * unsettled, at most `limit` of them; then waits for `busy`.
 *
 * @example
 * ```ts
 * const samples = await roundTripsDuring(echo, runGeneration(), 200);
 * ```
 */
export async function roundTripsDuring(echo: PipeEcho, busy: Promise<unknown>, limit: number): Promise<number[]> {
  let settled = false;
  void busy.then(
    () => (settled = true),
    () => (settled = true),
  );
  const samples: number[] = [];
  for (let index = 0; index < limit && !settled; index += 1) {
    await new Promise((resolve) => setTimeout(resolve, 2 + (index % 5)));
    if (settled) break;
    samples.push(await echo.roundTripMs());
  }
  await busy;
  return samples;
}
