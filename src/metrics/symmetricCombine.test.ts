import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { combineWorkspace } from './symmetricCombine.js';

describe('combineWorkspace', () => {
  const weights = Float64Array.of(0.01, 0.02, 0.05, 0.1, 0.2, 0.24);
  test('matches the scalar expression bit for bit, odd lengths included (one spare element written)', () => {
    const ws = combineWorkspace(1000, weights);
    for (let i = 0; i < 600; i++) ws.f64[i] = Math.sin(i) * 3 + i / 7;
    const lower = Int32Array.of(0, 10, 20, 30, 40);
    const upper = Int32Array.of(100, 90, 80, 70, 60);
    ws.combine(700, 50, lower, upper, 7);
    const f = ws.f64;
    for (let j = 0; j < 8; j++) {
      const [w0, w1, w2, w3, w4, wc] = weights;
      const want = wc * f[50 + j] + w0 * (f[j] + f[100 + j]) + w1 * (f[10 + j] + f[90 + j]) + w2 * (f[20 + j] + f[80 + j])
        + w3 * (f[30 + j] + f[70 + j]) + w4 * (f[40 + j] + f[60 + j]);
      assert.equal(f[700 + j], want, `element ${j}`); // j = 7 is the spare element of the odd row
    }
    assert.equal(f[708], 0);
  });
  test('refuses a weight table of the wrong size', () => {
    assert.throws(() => combineWorkspace(10, new Float64Array(5)), /combineWorkspace: weights must have 6 entries, got 5/);
  });
});
