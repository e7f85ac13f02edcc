import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, percentiles, quantile } from './percentile.js';

/** The same integer-built float32 data as percentile.expected.py. */
function data(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = i % 5 === 0 ? 0 : ((i * 7919) % 1009) / 7 - 30;
  return v;
}

const ps = [0, 0.1, 0.5, 1, 25, 50, 73.3, 99.5, 99.9, 100];
// np.percentile(data(n).astype(np.float64), ps) from percentile.expected.py (NumPy 1.24.2).
const expected: Record<number, number[]> = {
  1: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  2: [0.0, 0.09228571319580078, 0.4614285659790039, 0.9228571319580078, 23.071428298950195, 46.14285659790039,
    67.64542777252197, 91.82428462982178, 92.19342748260499, 92.28571319580078],
  1000: [-29.85714340209961, -29.714427755355835, -29.001428575515746, -28.004285717010497, 0.0, 24.071428298950195,
    65.93342704772948, 113.001428565979, 113.71442965698243, 113.85713958740234],
  12345: [-30.0, -29.85714340209961, -29.14285659790039, -28.285715103149414, 0.0, 24.0, 66.0, 113.14286041259766,
    113.85713958740234, 114.0],
};

describe('percentiles', () => {
  for (const n of [1, 2, 1000, 12345]) {
    test(`match np.percentile bit for bit on ${n} values`, () => {
      assert.deepEqual(percentiles(data(n), ps), expected[n]);
    });
  }

  test('hand-checked: linear interpolation between order statistics', () => {
    // sorted [1,2,3,4]: h = 0.3·3 = 0.9 → 1 + 0.9·(2 − 1)
    assert.equal(quantile([4, 1, 3, 2], 0.3), 1.9);
    assert.equal(percentile([4, 1, 3, 2], 50), 2.5);
    assert.equal(percentile([5, 5, 5], 99.9), 5);
  });

  test('does not modify its input and handles runs of equal values', () => {
    const v = new Float32Array(10001);
    v[7] = 3;
    v[9000] = -2;
    const copy = v.slice();
    assert.deepEqual(percentiles(v, [0, 50, 100]), [-2, 0, 3]);
    assert.deepEqual(v, copy);
  });

  test('rejects empty data, NaN and out-of-range percentiles', () => {
    assert.throws(() => percentile(new Float32Array(0), 50), /quantiles: data is empty/);
    assert.throws(() => percentile([1, NaN, 2], 50), /data contains NaN \(first at index 1\)/);
    assert.throws(() => percentile([1, 2], 101), /p must lie in \[0, 100\], got 101/);
  });

  test('large inputs (the sampled path) agree with sorting, also with heavy ties', () => {
    const n = 400_003;
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = i % 4 === 0 ? 0 : ((i * 40503) % 65521) / 13 - 100;
    const sorted = Float64Array.from(v).sort();
    const ps = [0, 0.1, 0.5, 12.5, 25, 50, 99.5, 99.9, 100];
    const byLerp = ps.map((p) => {
      const h = (p / 100) * (n - 1);
      const i = Math.floor(h);
      const g = h - i;
      const a = sorted[i];
      const b = sorted[Math.min(i + 1, n - 1)];
      return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
    });
    assert.deepEqual(percentiles(v, ps), byLerp);
  });

  test('a 240×240×155 volume, a third of it background: the exact percentiles, counted (its speed: npm run bench:data)', () => {
    const v = new Float32Array(240 * 240 * 155);
    for (let i = 0; i < v.length; i++) v[i] = i % 3 === 0 ? 0 : (i * 40503) % 4096;
    // The values are the integers 0..4095: a histogram gives every order statistic.
    const counts = new Float64Array(4096);
    for (const x of v) counts[x]++;
    const ranked = (r: number) => {
      let value = 0;
      for (let seen = counts[0]; seen <= r; seen += counts[++value]);
      return value;
    };
    const ps = [0, 0.1, 33.4, 50, 99.9, 100];
    const byCounting = ps.map((p) => {
      const h = (p / 100) * (v.length - 1);
      const i = Math.floor(h);
      const g = h - i;
      const a = ranked(i);
      const b = ranked(Math.min(i + 1, v.length - 1));
      return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
    });
    const copy = v.slice();
    assert.deepEqual(percentiles(v, ps), byCounting);
    assert.deepEqual(v, copy);
  });
});
