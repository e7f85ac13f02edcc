import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mean, sampleStd, summarise } from './bootstrap.js';

describe('sampleStd and mean', () => {
  test('ddof 1 by hand: [2,4,4,4,5,5,7,9] has mean 5 and Σ(x − 5)² = 32, so std = √(32/7)', () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    assert.equal(mean(values), 5);
    assert.equal(sampleStd(values), Math.sqrt(32 / 7));
    assert.ok(Number.isNaN(sampleStd([3])));
  });
});

describe('summarise (percentile bootstrap)', () => {
  const values = Array.from({ length: 100 }, (_, i) => i);
  test('deterministic by seed; another seed moves the bounds', () => {
    const a = summarise(values, { seed: 7 });
    assert.deepEqual(summarise(values, { seed: 7 }), a);
    const b = summarise(values, { seed: 8 });
    assert.notDeepEqual([b.low, b.high], [a.low, a.high]);
    assert.equal(b.mean, a.mean);
  });
  test('the interval contains the mean and agrees with the normal approximation mean ± 1.96·s/√n', () => {
    const s = summarise(values, { seed: 1 });
    assert.equal(s.n, 100);
    assert.ok(s.low < s.mean && s.mean < s.high);
    const half = (1.96 * sampleStd(values)) / Math.sqrt(100); // 5.69
    assert.ok(Math.abs(s.mean - half - s.low) < 0.6, `low ${s.low}`);
    assert.ok(Math.abs(s.mean + half - s.high) < 0.6, `high ${s.high}`);
  });
  test('a wider level gives a wider interval; constant values give a zero-width one', () => {
    const s95 = summarise(values, { seed: 3 });
    const s99 = summarise(values, { seed: 3, level: 0.99 });
    assert.ok(s99.low < s95.low && s99.high > s95.high);
    const flat = summarise([0.5, 0.5, 0.5], { resamples: 100 });
    assert.deepEqual([flat.low, flat.high, flat.std], [0.5, 0.5, 0]);
  });
  test('no values: NaN summary; bad options are refused', () => {
    assert.ok(Number.isNaN(summarise([]).mean));
    assert.throws(() => summarise(values, { resamples: 0 }), /summarise: resamples must be a positive integer, got 0/);
    assert.throws(() => summarise(values, { level: 95 }), /summarise: level must lie in \(0, 1\), got 95/);
  });
});
