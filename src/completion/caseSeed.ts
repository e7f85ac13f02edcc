import { createHash } from 'node:crypto';
import { assert } from '../util/index.js';

/**
 * The generator seed for synthesising `contrast` of case `caseId` (translated from `source`, where given) under the
 * user's `seed`: the first 63 bits of SHA-256 over them, so a case's result depends on nothing else — not on which
 * other cases, contrasts or pairs run, nor in which order, nor on how many — and neighbouring user seeds give
 * unrelated streams.
 */
export function caseSeed(seed: number, caseId: string, contrast: string, source?: string): bigint {
  assert(Number.isSafeInteger(seed) && seed >= 0, () => `caseSeed: seed must be a non-negative integer, got ${seed}`);
  // NUL separators keep ('a', 'bc') and ('ab', 'c') apart; ids and contrast names never contain NUL.
  const digest = createHash('sha256').update(`${seed}\0${caseId}\0${contrast}${source === undefined ? '' : `\0${source}`}`).digest();
  return digest.readBigUInt64BE(0) >> 1n;
}
