import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Shape3 } from '../volume/index.js';
import { ballMask, patternVolume } from '../../test-fixtures/metrics/pattern.js';
import { errorMetrics, psnrFromMse } from './errorMetrics.js';

const expected = JSON.parse(readFileSync(fileURLToPath(new URL('../../test-fixtures/metrics/expected.json', import.meta.url)), 'utf8'));

describe('errorMetrics', () => {
  test('hand values: pred [1,2,3,4] vs ref [1,1,1,2]', () => {
    const m = errorMetrics(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 1, 1, 2), 4);
    assert.equal(m.mse, (0 + 1 + 4 + 4) / 4);
    assert.equal(m.mae, (0 + 1 + 2 + 2) / 4);
    assert.equal(m.nmse, 9 / 7); // ‖d‖² = 9, ‖ref‖² = 1 + 1 + 1 + 4
    assert.equal(m.psnr, 10 * Math.log10(16 / 2.25));
  });
  test('a mask keeps only its voxels', () => {
    const m = errorMetrics(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 1, 1, 2), 4, Uint8Array.of(0, 1, 0, 1));
    assert.equal(m.mse, (1 + 4) / 2);
    assert.equal(m.nmse, 5 / 5);
  });
  test('a constant offset c gives PSNR 10·log10(R²/c²)', () => {
    // Multiples of 1/1024 below 1: adding 1/8 is exact in float32, so every difference is exactly c.
    const ref = Float32Array.from({ length: 500 }, (_, i) => ((i * 37) % 1000) / 1024);
    const pred = ref.map((v) => v + 0.125);
    const m = errorMetrics(pred, ref, 1);
    assert.ok(Math.abs(m.psnr - 10 * Math.log10(1 / 0.125 ** 2)) < 1e-9, `${m.psnr}`);
    assert.ok(Math.abs(m.mae - 0.125) < 1e-12);
  });
  test('identical volumes: MSE 0, PSNR +Infinity (as skimage)', () => {
    const a = Float32Array.of(0.5, 0.25);
    assert.deepEqual(errorMetrics(a, a, 1), { mse: 0, mae: 0, psnr: Infinity, nmse: 0 });
  });
  test('empty region: every figure NaN', () => {
    const m = errorMetrics(Float32Array.of(1), Float32Array.of(2), 1, Uint8Array.of(0));
    assert.ok(Object.values(m).every(Number.isNaN));
  });
  test('matches skimage/NumPy on the 23x17x31 pair, whole and in a ball', () => {
    const shape: Shape3 = [23, 17, 31];
    const pred = patternVolume(shape, 1, [10, 8, 15]);
    const ref = patternVolume(shape, 2, [12, 7, 14]);
    const whole = errorMetrics(pred, ref, 1);
    const want = expected.odd.whole;
    assert.ok(Math.abs(whole.mse - want.skimage_mse) < 1e-12);
    assert.ok(Math.abs(whole.psnr - want.skimage_psnr) < 1e-9);
    const ball = errorMetrics(pred, ref, 1, ballMask(shape, [11, 8, 15], 6));
    for (const key of ['mse', 'mae', 'psnr', 'nmse'] as const) {
      assert.ok(Math.abs(ball[key] - expected.odd.ball[key]) < 1e-9 * Math.max(1, Math.abs(ball[key])), `${key}: ${ball[key]}`);
    }
  });
  test('psnrFromMse and refusals', () => {
    assert.equal(psnrFromMse(0.01, 1), 20);
    assert.throws(() => errorMetrics(Float32Array.of(1), Float32Array.of(1, 2), 1), /errorMetrics: pred has 1 voxels, ref 2/);
    assert.throws(() => errorMetrics(Float32Array.of(1), Float32Array.of(1), -1), /dataRange must be a positive finite number, got -1/);
  });
});
