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
  const fromT1 = caseSeed(0, 'BraTS-GLI-00000-000', 't1ce', { source: 't1' });
  assert.equal(caseSeed(0, 'BraTS-GLI-00000-000', 't1ce', { source: 't1' }), fromT1);
  assert.equal(new Set([seed, fromT1, caseSeed(0, 'BraTS-GLI-00000-000', 't1ce', { source: 't2' })]).size, 3);
  assert.throws(() => caseSeed(-1, 'a', 't1'), /caseSeed: seed must be a non-negative integer, got -1/);
  assert.throws(() => caseSeed(0, 'a', 't1', { sample: 1.5 }), /caseSeed: sample must be a non-negative integer, got 1.5/);
});

test('caseSeed: sample 0 keeps the one-sample seed, each later sample has its own', () => {
  for (const source of [undefined, 't1']) {
    const one = caseSeed(3, 'Ph_001', 'flair', { source });
    assert.equal(caseSeed(3, 'Ph_001', 'flair', { source, sample: 0 }), one);
    const samples = [0, 1, 2, 3].map((sample) => caseSeed(3, 'Ph_001', 'flair', { source, sample }));
    assert.equal(new Set(samples).size, 4);
    // The sample index does not collide with a source of the same spelling.
    assert.notEqual(caseSeed(3, 'Ph_001', 'flair', { sample: 1 }), caseSeed(3, 'Ph_001', 'flair', { source: '1' }));
  }
});
