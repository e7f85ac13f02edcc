import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyAffineMap, clipToRange, fitAffineBaseline, fitPooledAffineMap } from './affineBaseline.js';

/** Deterministic multiples of 1/16 (so 3·x + 2 is exact in float32) with no linear relation between the seeds. */
const noisy = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 1009) / 16);

describe('fitAffineBaseline', () => {
  const n = 400;
  const mask = Uint8Array.from({ length: n }, (_, i) => Number(i % 5 !== 0));
  const t1 = noisy(n, 1);
  const flair = noisy(n, 2);
  // target = 3·t1 + 2 inside the mask; outside, unrelated values that must not influence the fit.
  const target = t1.map((x, i) => (mask[i] ? 3 * x + 2 : 1000 - x));

  test('recovers an exact affine relation inside the mask and picks that source', () => {
    const fit = fitAffineBaseline({ flair, t1 }, target, mask);
    assert.equal(fit.source, 't1');
    assert.ok(Math.abs(fit.a - 3) < 1e-12, `a = ${fit.a}`);
    assert.ok(Math.abs(fit.b - 2) < 1e-10, `b = ${fit.b}`);
    assert.ok(fit.residual < 1e-9, `residual ${fit.residual}`);
    for (let v = 0; v < n; v++) {
      if (mask[v]) assert.ok(Math.abs(fit.prediction[v] - target[v]) < 1e-4);
      else assert.equal(fit.prediction[v], 0);
    }
  });

  test('picks the source with the smaller residual when neither is exact', () => {
    const t2 = noisy(n, 3);
    // Mostly t2, a little flair: t2 must win.
    const y = t2.map((x, i) => 2 * x + 0.1 * flair[i]);
    const fit = fitAffineBaseline({ flair, t2 }, y, mask);
    assert.equal(fit.source, 't2');
    const other = fitAffineBaseline({ flair }, y, mask);
    assert.ok(fit.residual < other.residual);
  });

  test('least squares by hand: x = [0, 1, 2], y = [1, 2, 4] gives a = 1.5, b = 5/6', () => {
    const fit = fitAffineBaseline({ t1: Float32Array.of(0, 1, 2) }, Float32Array.of(1, 2, 4), Uint8Array.of(1, 1, 1));
    assert.ok(Math.abs(fit.a - 1.5) < 1e-12);
    assert.ok(Math.abs(fit.b - 5 / 6) < 1e-12);
    // Residuals −1/6, 1/3, −1/6: RSS = 1/6.
    assert.ok(Math.abs(fit.residual - 1 / 6) < 1e-12);
  });

  test('a constant source maps to the target mean', () => {
    const fit = fitAffineBaseline({ t2: Float32Array.of(5, 5, 5) }, Float32Array.of(1, 2, 6), Uint8Array.of(1, 1, 1));
    assert.equal(fit.a, 0);
    assert.equal(fit.b, 3);
  });

  test('refuses no sources, an empty mask and mismatched grids', () => {
    assert.throws(() => fitAffineBaseline({}, target, mask), /fitAffineBaseline: needs at least one source contrast, got none/);
    assert.throws(() => fitAffineBaseline({ t1 }, target, new Uint8Array(n)), /the mask is empty/);
    assert.throws(() => fitAffineBaseline({ t1: t1.subarray(1) }, target, mask), /source 't1' has 399 voxels, the target 400/);
  });
});

test('clipToRange: a map in cWDM units is bounded like a cWDM output, values inside are kept exactly', () => {
  assert.deepEqual([...clipToRange(Float32Array.from([-0.5, 0, 0.25, 1, 1.75]), [0, 1])], [0, 0, 0.25, 1, 1]);
  assert.deepEqual([...clipToRange(Float32Array.from([-1.5, 0.25, 3]), [-1, 1])], [-1, 0.25, 1]);
});

describe('applyAffineMap', () => {
  test('maps inside the mask and leaves 0 outside: 2·[1, 2, 3, 4] − 1 where the mask is set', () => {
    const mapped = applyAffineMap(Float32Array.of(1, 2, 3, 4), 2, -1, Uint8Array.of(1, 0, 1, 1));
    assert.deepEqual([...mapped], [1, 0, 5, 7]);
  });

  test('refuses a mask on another grid, naming both sizes', () => {
    assert.throws(() => applyAffineMap(new Float32Array(4), 1, 0, new Uint8Array(3)), /mask has 3 voxels, the volume 4/);
  });
});

test('fitPooledAffineMap: one map over the brain voxels of several cases, as the closed-form fit of their concatenation', () => {
  // Case 1: t2 = 2·t1 + 1 exactly; case 2: t2 = 2·t1 + 3. Pooled (equal x spread, equal counts), the slope is 2 and the
  // offset the mean of the two, 2; flair is pure noise, so t1 wins.
  const t1a = Float32Array.from([0, 1, 2, 3, 4, 0]);
  const t1b = Float32Array.from([0, 1, 2, 3, 4, 0]);
  const mask = Uint8Array.from([0, 1, 1, 1, 1, 0]);
  const cases = [
    { sources: { t1: t1a, flair: Float32Array.from([0, 5, -3, 8, 1, 0]) }, target: t1a.map((x) => 2 * x + 1), mask },
    { sources: { t1: t1b, flair: Float32Array.from([0, -2, 7, 0, 4, 0]) }, target: t1b.map((x) => 2 * x + 3), mask },
  ];
  const fit = fitPooledAffineMap(cases);
  assert.equal(fit.source, 't1');
  assert.ok(Math.abs(fit.a - 2) < 1e-12 && Math.abs(fit.b - 2) < 1e-12, `a ${fit.a}, b ${fit.b}`);
  assert.equal(fit.voxels, 8);
  // Residual: every pooled voxel is off by exactly 1.
  assert.ok(Math.abs(fit.residual - 8) < 1e-9, `residual ${fit.residual}`);
  // Only sources every case has are tried.
  assert.equal(fitPooledAffineMap([cases[0], { ...cases[1], sources: { flair: cases[1].sources.flair } }]).source, 'flair');
  assert.throws(() => fitPooledAffineMap([]), /needs at least one case/);
});
