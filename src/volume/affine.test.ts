import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  affineFrom, applyAffine, axisIndexMap, identityAffine, invertAffine, multiplyAffine, scaleIndexMap, translationIndexMap, voxelSizes,
} from './affine.js';

const a = affineFrom([[0, 2, 0, 5], [-3, 0, 0, 7], [0, 0.5, 4, -1], [0, 0, 0, 1]]);

describe('affine', () => {
  test('multiply applies the right factor first', () => {
    const t = translationIndexMap([1, 2, 3]);
    assert.deepEqual(applyAffine(multiplyAffine(a, t), [0, 0, 0]), applyAffine(a, [1, 2, 3]));
    assert.deepEqual(Array.from(multiplyAffine(a, identityAffine())), Array.from(a));
  });

  test('invert gives the hand-computed inverse and round-trips points', () => {
    // x = 2j + 5, y = −3i + 7, z = 0.5j + 4k − 1  ⇒  i = (7 − y)/3, j = (x − 5)/2, k = (z + 1 − 0.5j)/4
    const inv = invertAffine(a);
    const [i, j, k] = applyAffine(inv, [9, 1, 3]);
    assert.ok(Math.abs(i - 2) < 1e-15 && Math.abs(j - 2) < 1e-15 && Math.abs(k - 0.75) < 1e-15, `${[i, j, k]}`);
    const back = multiplyAffine(a, inv);
    for (let e = 0; e < 16; e++) assert.ok(Math.abs(back[e] - identityAffine()[e]) < 1e-15);
  });

  test('invert rejects singular matrices and a bad last row', () => {
    assert.throws(() => invertAffine(affineFrom([[1, 2, 0, 0], [2, 4, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])), /singular \(determinant 0\)/);
    assert.throws(() => invertAffine(affineFrom([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]])), /last row must be \[0,0,0,1\], got \[0,0,1,1\]/);
  });

  test('voxel sizes are column norms', () => {
    assert.deepEqual(voxelSizes(a), [3, Math.hypot(2, 0.5), 4]);
  });

  test('axis index map flips within the old shape and scale map centres blocks', () => {
    // new axis 0 = old axis 2 reversed (size 5), new 1 = old 0, new 2 = old 1
    const m = axisIndexMap([2, 0, 1], [true, false, false], [3, 4, 5]);
    assert.deepEqual(applyAffine(m, [0, 1, 2]), [1, 2, 4]);
    assert.deepEqual(applyAffine(scaleIndexMap([2, 3, 1]), [0, 1, 5]), [0.5, 4, 5]);
    assert.throws(() => axisIndexMap([0, 0, 1], [false, false, false], [1, 1, 1]), /perm must be a permutation of \[0,1,2\], got \[0,0,1\]/);
  });

  test('affineFrom checks its size', () => {
    assert.throws(() => affineFrom([1, 2, 3]), /expected 16 numbers \(4x4 row-major\), got 3/);
  });
});
