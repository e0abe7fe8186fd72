import { testModelPath } from "@rein/test-model";
import type { BenchContext } from "../bench-context.ts";
import { runHttpStream, type HttpStreamTrace } from "../harness/http-stream.ts";
import { shortHistory } from "../harness/prompts.ts";
import { formatMebibytes, markdownTable } from "../report.ts";
import { startBenchServer } from "../harness/bench-server.ts";

const CLIENTS = 64;
/**
 * A request still open this long after the run's end counts as hung. 64 clients on a
 * 1-thread tiny model keep ~60 requests queued, so the last wave needs tens of seconds to drain.
 */
const HANG_AFTER_MS = 180_000;

/**
 * The load run: 64 HTTP clients, each in a loop of streaming requests for a
 * fixed time (8-95 tokens each); the even-numbered half disconnects each request at a random
 * point (after 0-30 chunks), the others read to the end. Afterwards: did
 * every request settle, is the registry empty, how did the memory of the
 * server process and of its worker move.
 *
 * @example
 * ```ts
 * const table = await serveLoadRun(context, { quick: true });
 * ```
 */
export async function serveLoadRun(context: BenchContext, options: { quick: boolean }): Promise<string> {
  const durationMs = options.quick ? 10_000 : 20_000;
  const { threads } = context.options;
  const { running } = await startBenchServer({ threads, modelPath: await testModelPath({ preset: "tiny" }), contextSize: 4096, parallel: 4 });
  const admin = running.backend.clientFor({ keyId: "anonymous", admin: true });
  try {
    global.gc?.();
    const before = { server: process.memoryUsage().rss, worker: (await admin.inspect()).memory.rss };
    const deadline = performance.now() + durationMs;
    let seed = 1;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const traces: HttpStreamTrace[] = [];
    const client = async (index: number) => {
      for (let round = 0; performance.now() < deadline; round += 1) {
        const disconnect = index % 2 === 0 ? { kind: "afterChunks" as const, chunks: Math.floor(random() * 30) + 1 } : { kind: "none" as const };
        const body = { model: "bench", messages: shortHistory(index * 10_000 + round), max_tokens: 8 + Math.floor(random() * 88) };
        traces.push(await runHttpStream({ url: running.url, body, disconnect }));
      }
    };
    context.progress(`${CLIENTS} clients for ${durationMs / 1000} s`);
    let hung = false;
    const all = Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
    const guard = new Promise<void>((resolve) => setTimeout(() => ((hung = true), resolve()), durationMs + HANG_AFTER_MS).unref());
    await Promise.race([all, guard]);
    const drainMs = performance.now() - deadline;
    let registryLeft = -1;
    const settleBy = performance.now() + 10_000;
    for (;;) {
      registryLeft = (await admin.inspect()).requests.length;
      if (registryLeft === 0 || performance.now() > settleBy) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    global.gc?.();
    const after = { server: process.memoryUsage().rss, worker: (await admin.inspect()).memory.rss };
    const count = (outcome: HttpStreamTrace["outcome"]) => traces.filter((trace) => trace.outcome === outcome).length;
    return markdownTable(
      [`load run: ${CLIENTS} clients, ${durationMs / 1000} s, tiny, --parallel 4`, "value"],
      [
        ["requests settled", `${traces.length}${hung ? " (some clients HUNG)" : ", none hung"}`],
        ["time from the end of the run until every client's last request settled", `${(drainMs / 1000).toFixed(1)} s`],
        ["read to the end / disconnected by the client / errors", `${count("done")} / ${count("disconnected")} / ${count("error")}`],
        ["registry entries left at the end", String(registryLeft)],
        ["server process RSS before -> after", `${formatMebibytes(before.server)} -> ${formatMebibytes(after.server)}`],
        ["worker RSS before -> after", `${formatMebibytes(before.worker)} -> ${formatMebibytes(after.worker)}`],
      ],
    );
  } finally {
    await running.close();
  }
}
