import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from './random.js';

function draws(r: Random, n: number): number[] {
  return Array.from({ length: n }, () => r.nextUint32());
}

describe('Random', () => {
  test('the same key gives the same stream; a different seed or stream index a different one', () => {
    assert.deepEqual(draws(new Random(7, 3), 100), draws(new Random(7, 3), 100));
    assert.notDeepEqual(draws(new Random(7, 3), 100), draws(new Random(8, 3), 100));
    assert.notDeepEqual(draws(new Random(7, 3), 100), draws(new Random(7, 4), 100));
    // Key words above 2^32 take part too.
    assert.notDeepEqual(draws(new Random(2 ** 40), 10), draws(new Random(2 ** 40 + 2 ** 33), 10));
  });

  test('uniform draws are in range with the right mean and variance', () => {
    const r = new Random(1);
    const n = 200_000;
    let sum = 0, sum2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      assert.ok(u >= 0 && u < 1);
      sum += u;
      sum2 += u * u;
    }
    const mean = sum / n;
    assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
    assert.ok(Math.abs(sum2 / n - mean * mean - 1 / 12) < 0.002);
    for (let i = 0; i < 1000; i++) {
      const k = r.int(5);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 5);
    }
  });

  test('normal deviates have mean 0, variance 1 and Gaussian tails', () => {
    const r = new Random(2);
    const z = r.fillNormal(new Float32Array(200_000));
    let sum = 0, sum2 = 0, beyond2 = 0;
    for (const v of z) {
      sum += v;
      sum2 += v * v;
      if (Math.abs(v) > 2) beyond2++;
    }
    assert.ok(Math.abs(sum / z.length) < 0.01);
    assert.ok(Math.abs(sum2 / z.length - 1) < 0.02);
    // P(|Z| > 2) = 0.0455 for a standard normal.
    assert.ok(Math.abs(beyond2 / z.length - 0.0455) < 0.003);
  });

  test('rejects keys that are not non-negative safe integers', () => {
    assert.throws(() => new Random(-1), /Random: key entries must be non-negative safe integers, got -1/);
    assert.throws(() => new Random(1.5), /got 1.5/);
    assert.throws(() => new Random(), /needs at least a seed/);
    assert.throws(() => new Random(1).int(0), /Random.int: n must be an integer in \[1, 2\^32\], got 0/);
  });
});
