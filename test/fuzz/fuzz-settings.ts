/**
 * Seed and size of a fuzz run. `npm test` runs each fuzz suite at a small
 * size (one round) with a fresh seed, printed first. `REIN_FUZZ_SEED=<seed>`
 * replays a run exactly; `REIN_FUZZ_RUNS=<n>` runs n rounds, each suite doing
 * its per-round number of cases n times (`npm run fuzz` runs 20 rounds).
 *
 * @example
 * ```ts
 * const settings = fuzzSettings("raw frames", { perRound: 40 });
 * const random = seededRandom(settings.seed);
 * ```
 */
export interface FuzzSettings {
  seed: number;
  /** How many cases this suite runs: its per-round size times `REIN_FUZZ_RUNS` (1 by default). */
  runs: number;
  /** "seed=... (replay: ...)": put it in every assertion message so a failure names its replay. */
  label: string;
}

export function fuzzSettings(suite: string, size: { perRound: number }): FuzzSettings {
  const seedText = process.env.REIN_FUZZ_SEED;
  const seed = seedText !== undefined && seedText !== "" ? Number(seedText) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  const runsText = process.env.REIN_FUZZ_RUNS;
  const rounds = runsText !== undefined && runsText !== "" ? Math.max(1, Math.floor(Number(runsText))) : 1;
  if (!Number.isFinite(rounds)) throw new Error(`REIN_FUZZ_RUNS must be a number of rounds, got ${runsText}`);
  const runs = rounds * size.perRound;
  const label = `seed=${seed} (replay: REIN_FUZZ_SEED=${seed} REIN_FUZZ_RUNS=${rounds} npx vitest run test/fuzz)`;
  // Printed before anything can fail, so even a hang or a crash of the run leaves its seed behind.
  process.stdout.write(`[fuzz] ${suite}: ${runs} cases, ${label}\n`);
  return { seed, runs, label };
}
