import { assert } from '../util/index.js';
import { mulberry32 } from '../util/index.js';

/** Mean, sample standard deviation and a bootstrap confidence interval of per-case values. */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (ddof 1); NaN for a single value. */
  readonly std: number;
  /** Percentile bootstrap interval of the mean; NaN bounds when n = 0. */
  readonly low: number;
  readonly high: number;
}

export interface BootstrapOptions {
  /** Default 10,000. */
  readonly resamples?: number;
  /** Default 0.95. */
  readonly level?: number;
  /** Default 0. The same seed and values always give the same interval. */
  readonly seed?: number;
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Standard deviation with ddof 1 (numpy's `std(ddof=1)`), the spread papers report as ± . */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return Math.sqrt(sum / (values.length - 1));
}

/**
 * The percentile bootstrap: resample the values with replacement `resamples` times, take each resample's mean,
 * and report the (1 − level)/2 and (1 + level)/2 quantiles of those means (linear interpolation between order
 * statistics, numpy's default). Draws come from a seeded generator, so a run is reproducible.
 */
export function summarise(values: readonly number[], options: BootstrapOptions = {}): Summary {
  const resamples = options.resamples ?? 10_000;
  const level = options.level ?? 0.95;
  assert(Number.isInteger(resamples) && resamples > 0, () => `summarise: resamples must be a positive integer, got ${resamples}`);
  assert(level > 0 && level < 1, () => `summarise: level must lie in (0, 1), got ${level}`);
  const n = values.length;
  if (n === 0) return { n, mean: Number.NaN, std: Number.NaN, low: Number.NaN, high: Number.NaN };
  const next = mulberry32(options.seed ?? 0);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(next() * n)];
    means[b] = sum / n;
  }
  means.sort();
  return {
    n, mean: mean(values), std: sampleStd(values),
    low: sortedQuantile(means, (1 - level) / 2), high: sortedQuantile(means, (1 + level) / 2),
  };
}

function sortedQuantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

