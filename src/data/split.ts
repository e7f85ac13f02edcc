import { assert } from '../util/index.js';
import type { Case } from './dataset.js';
import { stableUnit } from './stableUnit.js';

export const SPLIT_NAMES = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

export interface SplitOptions {
  readonly seed: number;
  /** Share of subjects per split; must sum to 1. Default 0.8 / 0.1 / 0.1. */
  readonly fractions?: Readonly<Record<SplitName, number>>;
}

export type Splits = Readonly<Record<SplitName, readonly Case[]>>;

const DEFAULT_FRACTIONS: Readonly<Record<SplitName, number>> = { train: 0.8, val: 0.1, test: 0.1 };

/**
 * The split a subject belongs to. Each subject is hashed with the seed onto [0, 1) and bucketed by the cumulative
 * fractions, so the answer depends on nothing but (seed, subject, fractions): not on listing order, and not on
 * which other subjects exist, so adding cases never moves existing ones. The price: split sizes match the
 * fractions only on average (binomially), not exactly, which matters only for very small datasets.
 */
export function splitOf(subject: string, options: SplitOptions): SplitName {
  const fractions = checkedFractions(options.fractions ?? DEFAULT_FRACTIONS);
  const u = stableUnit(options.seed, 'split', subject);
  let edge = 0;
  for (const name of SPLIT_NAMES) {
    edge += fractions[name];
    if (u < edge) return name;
  }
  // Only reachable when rounding leaves the fractions' sum a hair below 1 and u falls in that gap.
  return SPLIT_NAMES.filter((name) => fractions[name] > 0).at(-1)!;
}

/** Splits cases by subject (see {@link splitOf}); every case of one subject lands in the same split. */
export function splitCases(cases: readonly Case[], options: SplitOptions): Splits {
  assert(Number.isInteger(options.seed), () => `splitCases: seed must be an integer, got ${options.seed}`);
  const out: Record<SplitName, Case[]> = { train: [], val: [], test: [] };
  for (const c of cases) out[splitOf(c.subject, options)].push(c);
  return out;
}

function checkedFractions(fractions: Readonly<Record<SplitName, number>>): Readonly<Record<SplitName, number>> {
  for (const name of SPLIT_NAMES) {
    const f = fractions[name];
    assert(Number.isFinite(f) && f >= 0 && f <= 1, () => `splitOf: fraction '${name}' must be in [0, 1], got ${f}`);
  }
  const sum = SPLIT_NAMES.reduce((s, name) => s + fractions[name], 0);
  assert(Math.abs(sum - 1) < 1e-9, () =>
    `splitOf: fractions must sum to 1, got ${sum} (${SPLIT_NAMES.map((n) => `${n}=${fractions[n]}`).join(', ')})`);
  return fractions;
}
