import { createHash } from 'node:crypto';
import { assert } from '../util/index.js';

/** What else a case's seed depends on: the source of a translation, and which of several samples (from 0) it draws. */
export interface CaseSeedOf {
  readonly source?: string;
  readonly sample?: number;
}

/**
 * The generator seed for synthesising `contrast` of case `caseId` (translated from `source`, where given; sample
 * `sample` of several) under the user's `seed`: the first 63 bits of SHA-256 over them, so a case's result depends on
 * nothing else — not on which other cases, contrasts or pairs run, nor in which order, nor on how many, nor on how many
 * samples are drawn together — and neighbouring user seeds give unrelated streams. Sample 0's seed is the seed of a
 * synthesis of one sample.
 */
export function caseSeed(seed: number, caseId: string, contrast: string, of: CaseSeedOf = {}): bigint {
  assert(Number.isSafeInteger(seed) && seed >= 0, () => `caseSeed: seed must be a non-negative integer, got ${seed}`);
  const sample = of.sample ?? 0;
  assert(Number.isSafeInteger(sample) && sample >= 0, () => `caseSeed: sample must be a non-negative integer, got ${sample}`);
  // NUL separators keep ('a', 'bc') and ('ab', 'c') apart; ids and contrast names never contain NUL. The sample index
  // is only added past sample 0, so that a one-sample synthesis keeps the seed it always had; its '#' prefix keeps it
  // apart from a source.
  const text = `${seed}\0${caseId}\0${contrast}${of.source === undefined ? '' : `\0${of.source}`}${sample === 0 ? '' : `\0#${sample}`}`;
  return createHash('sha256').update(text).digest().readBigUInt64BE(0) >> 1n;
}
