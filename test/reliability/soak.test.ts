/**
 * Seeded randomized soak. The default run does a few hundred mixed operations;
 * `npm run soak` (REIN_SOAK_OPERATIONS=5000) runs the long version. Replay a
 * failure with its seed: `REIN_SOAK_SEED=<seed> npx vitest run test/reliability/soak.test.ts`.
 */
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { startAssetServer } from "../helpers/asset-server.ts";
import { createTestClient, eosModel, tinyModel } from "../helpers/rein-test-client.ts";
import { runSoak } from "../helpers/reliability-soak.ts";
import { activeResources, RELIABILITY_OPS_MODULE, resourcesAbove, resourcesBackTo, watchWarnings } from "../helpers/reliability-support.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const OPERATIONS = Number(process.env.REIN_SOAK_OPERATIONS ?? 400);
const SEED = Number(process.env.REIN_SOAK_SEED ?? 20_261_121);
const LIMIT_OF_REMEMBERED_CANCELS = 1024;

describe("randomized soak", () => {
  it(`seed ${SEED}: ${OPERATIONS} mixed operations settle, and the worker ends clean`, { timeout: Math.max(120_000, OPERATIONS * 400) }, async () => {
    const warnings = watchWarnings("MaxListenersExceededWarning");
    const baseline = activeResources();
    const server = await startAssetServer();
    const cache = await makeTempDir("rein-soak-");
    const sharedSignal = new AbortController().signal;
    const client = createTestClient({ cacheDir: cache.path, opModules: [RELIABILITY_OPS_MODULE] });
    try {
      const pid = (await client.ready()).pid;
      const workerResources = () => client.call<Record<string, number>>("reliability.resources", {});
      const workerBaseline = await workerResources();
      const report = await runSoak({
        client,
        server,
        seed: SEED,
        operations: OPERATIONS,
        concurrency: 6,
        modelPaths: [await tinyModel(), await eosModel()],
        sharedSignal,
        boundMs: 60_000,
      });

      expect(report.failures, `outcomes: ${JSON.stringify(report.outcomes)}`).toEqual([]);
      const settled = Object.values(report.outcomes).reduce((sum, count) => sum + count, 0);
      expect(settled).toBe(OPERATIONS);
      // The mix really happened: completions ran and were cancelled, loads and unloads both succeeded.
      for (const label of ["completion", "completion:InferenceCancelledError", "load", "unload", "embed", "download", "custom:echo"]) {
        expect(report.outcomes[label] ?? 0, `outcome ${label} in ${JSON.stringify(report.outcomes)}`).toBeGreaterThan(0);
      }

      const snapshot = await client.inspect();
      expect(snapshot.pid, "the worker never crashed").toBe(pid);
      expect(snapshot.requests).toEqual([]);
      expect(snapshot.queued).toBe(0);
      expect(snapshot.counters.begun).toBe(snapshot.counters.ended);
      expect(snapshot.rememberedCancels).toBeLessThanOrEqual(Math.min(report.cancelsIssued, LIMIT_OF_REMEMBERED_CANCELS));
      const expectedModels = [...report.references].filter(([, references]) => references > 0).sort();
      expect(snapshot.models.map((model) => [model.modelId, model.references] as [string, number]).sort()).toEqual(expectedModels);

      expect(getEventListeners(sharedSignal, "abort")).toHaveLength(0);
      expect(warnings.seen.map(String)).toEqual([]);
      await server.waitForIdle();

      for (const [modelId, references] of expectedModels) {
        for (let reference = 0; reference < references; reference += 1) await client.unloadModel({ modelId });
      }
      expect((await client.inspect()).models).toEqual([]);
      // No timer or handle in the worker outlived the operations (deadlines, queue timers, downloads).
      expect(resourcesAbove(workerBaseline, await workerResources())).toEqual({});
    } finally {
      await client.close();
      await server.close();
      await cache.remove();
      warnings.stop();
    }
    expect(await resourcesBackTo(baseline)).toEqual({});
  });
});
