import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caseSeed } from './caseSeed.js';

test('caseSeed: fixed per (seed, case, contrast), different when any of them changes, 63 bits', () => {
  const seed = caseSeed(0, 'BraTS-GLI-00000-000', 't1ce');
  assert.equal(caseSeed(0, 'BraTS-GLI-00000-000', 't1ce'), seed);
  const others = [caseSeed(1, 'BraTS-GLI-00000-000', 't1ce'), caseSeed(0, 'BraTS-GLI-00001-000', 't1ce'), caseSeed(0, 'BraTS-GLI-00000-000', 'flair')];
  assert.equal(new Set([seed, ...others]).size, 4);
  assert.notEqual(caseSeed(0, 'a', 'bc'), caseSeed(0, 'ab', 'c'));
  for (const s of [seed, ...others]) assert.ok(s >= 0n && s < 2n ** 63n);
  // A translation's seed also depends on its source, and equals no completion's of the same target.
  const fromT1 = caseSeed(0, 'BraTS-GLI-00000-000', 't1ce', 't1');
  assert.equal(caseSeed(0, 'BraTS-GLI-00000-000', 't1ce', 't1'), fromT1);
  assert.equal(new Set([seed, fromT1, caseSeed(0, 'BraTS-GLI-00000-000', 't1ce', 't2')]).size, 3);
  assert.throws(() => caseSeed(-1, 'a', 't1'), /caseSeed: seed must be a non-negative integer, got -1/);
});
