import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleBatches } from './sampleBatches.js';

test('sampleBatches covers samples 0…N−1 once each, in order, in batches of at most B (the last one the rest)', () => {
  for (const samples of [1, 2, 3, 4, 7, 16]) {
    for (const batch of [1, 2, 3, 4, 20]) {
      const batches = sampleBatches(samples, batch);
      const covered = batches.flatMap(({ first, size }) => Array.from({ length: size }, (_, i) => first + i));
      assert.deepEqual(covered, Array.from({ length: samples }, (_, k) => k), `${samples} samples in batches of ${batch}`);
      assert.ok(batches.every(({ size }) => size >= 1 && size <= batch));
      assert.equal(batches.length, Math.ceil(samples / batch));
    }
  }
  assert.deepEqual(sampleBatches(5, 2), [{ first: 0, size: 2 }, { first: 2, size: 2 }, { first: 4, size: 1 }]);
});

test('sampleBatches refuses a count or batch that is not a positive integer, naming both', () => {
  for (const [samples, batch] of [[0, 1], [2, 0], [1.5, 1], [2, Number.POSITIVE_INFINITY], [-1, 2]]) {
    assert.throws(() => sampleBatches(samples, batch), new RegExp(`samples and batch must be positive integers, got ${samples} and ${batch}`));
  }
});
