/**
 * Statistics for a noisy shared machine: order statistics (median,
 * percentiles) instead of means, interleaved A/B rounds so slow phases of the
 * machine hit every variant alike, and paired ratios per round so a drift
 * during the run cancels out.
 */

/** Order statistics of one sample set; every field is NaN for an empty set. */
export interface Summary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The `fraction` quantile (0..1) with linear interpolation between the two
 * closest ranks (numpy's default), so p99 of 20 samples lies between the two
 * largest instead of jumping to the maximum.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 0.5); // 2.5
 * ```
 */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) return Number.NaN;
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`percentile fraction must be within 0..1, got ${fraction}`);
  const sorted = [...samples].sort((left, right) => left - right);
  const position = (sorted.length - 1) * fraction;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const lowerValue = sorted[lower]!;
  const upperValue = sorted[upper]!;
  return lowerValue + (upperValue - lowerValue) * (position - lower);
}

/**
 * The middle value (mean of the two middle values for an even count).
 *
 * @example
 * ```ts
 * median([5, 1, 3]); // 3
 * ```
 */
export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}

/**
 * Count, min, p50, p95, p99, max and mean of `samples`.
 *
 * @example
 * ```ts
 * const { p50, p99, max } = summarize(latenciesMs);
 * ```
 */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    return { count: 0, min: Number.NaN, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const sample of samples) {
    min = Math.min(min, sample);
    max = Math.max(max, sample);
    sum += sample;
  }
  return {
    count: samples.length,
    min,
    p50: percentile(samples, 0.5),
    p95: percentile(samples, 0.95),
    p99: percentile(samples, 0.99),
    max,
    mean: sum / samples.length,
  };
}

/**
 * The median of the per-round ratios `numerator[i] / denominator[i]`. Pairing
 * by round removes machine drift that a ratio of two medians would keep.
 * Pairs with a non-finite value or a zero denominator are skipped.
 *
 * @example
 * ```ts
 * pairedRatio([99, 101], [100, 100]); // 1
 * ```
 */
export function pairedRatio(numerator: readonly number[], denominator: readonly number[]): number {
  const ratios: number[] = [];
  const count = Math.min(numerator.length, denominator.length);
  for (let index = 0; index < count; index += 1) {
    const top = numerator[index]!;
    const bottom = denominator[index]!;
    if (Number.isFinite(top) && Number.isFinite(bottom) && bottom !== 0) ratios.push(top / bottom);
  }
  return median(ratios);
}

/** One competitor in an interleaved comparison. */
export interface Variant<T> {
  name: string;
  /** One measured run; `round` lets a run pick a fresh prompt so no cache is reused across rounds. */
  run: (round: number) => Promise<T>;
}

export interface InterleaveOptions<T> {
  variants: readonly Variant<T>[];
  /** Unrecorded rounds first: JIT, caches and the worker's first requests warm up. */
  warmupRounds: number;
  rounds: number;
  /** Called after every recorded run, e.g. for a progress line. */
  onResult?: (variant: string, round: number, result: T) => void;
}

/**
 * Runs every variant once per round, rotating which goes first (A B C, B C A,
 * C A B, ...) so neither order effects nor a slow phase of the machine favour
 * one variant. Returns the recorded results per variant name, index = round.
 *
 * @example
 * ```ts
 * const results = await interleave({
 *   variants: [{ name: "rein", run: () => viaRein() }, { name: "plain", run: () => inProcess() }],
 *   warmupRounds: 2,
 *   rounds: 20,
 * });
 * summarize(results.get("rein")!.map((trace) => trace.latencyMs));
 * ```
 */
export async function interleave<T>(options: InterleaveOptions<T>): Promise<Map<string, T[]>> {
  const { variants } = options;
  const results = new Map<string, T[]>(variants.map((variant) => [variant.name, []]));
  const totalRounds = options.warmupRounds + options.rounds;
  for (let round = 0; round < totalRounds; round += 1) {
    const recorded = round >= options.warmupRounds;
    for (const variant of rotation(variants, round)) {
      const result = await variant.run(round);
      if (!recorded) continue;
      results.get(variant.name)!.push(result);
      options.onResult?.(variant.name, round - options.warmupRounds, result);
    }
  }
  return results;
}

/**
 * `items` rotated left by `round` places.
 *
 * @example
 * ```ts
 * rotation(["a", "b", "c"], 1); // ["b", "c", "a"]
 * ```
 */
export function rotation<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const shift = ((round % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
