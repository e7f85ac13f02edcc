import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { affineFrom, applyAffine } from './affine.js';
import { invertPermutation, orientationCodes, permutedAffine, permutedShape, rasPermutation } from './orientation.js';
import type { Shape3 } from './volume.js';

const diag = (x: number, y: number, z: number, t: number[] = [0, 0, 0]) =>
  affineFrom([[x, 0, 0, t[0]], [0, y, 0, t[1]], [0, 0, z, t[2]], [0, 0, 0, 1]]);

describe('orientationCodes', () => {
  test('axis-aligned affines give the codes of their column signs', () => {
    assert.equal(orientationCodes(diag(1, 1, 1)), 'RAS');
    assert.equal(orientationCodes(diag(-1, -1, 1, [120, 120, -70])), 'LPS');
    assert.equal(orientationCodes(diag(-1.5, 2, 3)), 'LAS');
    // voxel axis 0 runs to −z, axis 1 to +x, axis 2 to −y
    assert.equal(orientationCodes(affineFrom([[0, 2, 0, 0], [0, 0, -1, 0], [-3, 0, 0, 0], [0, 0, 0, 1]])), 'IRP');
  });

  // Expected codes from nibabel 5.0.0 (Debian python3):
  //   import numpy as np, nibabel as nib; print(''.join(nib.aff2axcodes(np.array(A))))
  const nibabelCases: [string, number[][], string][] = [
    ['shear', [[0.9, 0.5, 0, 3], [0.1, -1.2, 0.2, 4], [0.3, 0.1, -2, 5], [0, 0, 0, 1]], 'RPI'],
    ['oblique45 (a tie, broken towards the first world axis)', [[1, 1, 0, 0], [-1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], 'RAS'],
    ['rotation by 0.5 rad plus a permutation', [[0, 0, -2, 10], [Math.cos(0.5), -Math.sin(0.5), 0, 0], [Math.sin(0.5), Math.cos(0.5), 0, 0], [0, 0, 0, 1]], 'ASL'],
    ['mixed oblique', [[0.2, -0.9, 0.6, 0], [-1.0, 0.35, 0.4, 0], [0.3, 0.5, 0.95, 0], [0, 0, 0, 1]], 'PLS'],
  ];
  for (const [name, rows, codes] of nibabelCases) {
    test(`matches nibabel.aff2axcodes on ${name}`, () => assert.equal(orientationCodes(affineFrom(rows)), codes));
  }

  test('a zero column is rejected with the affine in the message', () => {
    assert.throws(() => orientationCodes(diag(1, 0, 1)), /voxel axis 1 has a zero column/);
  });
});

describe('rasPermutation', () => {
  const shape: Shape3 = [4, 5, 6];
  const cases: [string, Float64Array][] = [
    ['LPS', diag(-1, -1, 1, [10, 20, -5])],
    ['LAS', diag(-2, 1, 3, [7, -3, 1])],
    ['RAS', diag(1, 1, 1, [1, 2, 3])],
    ['IRP', affineFrom([[0, 2, 0, 1], [0, 0, -1, 2], [-3, 0, 0, 3], [0, 0, 0, 1]])],
  ];
  for (const [codes, affine] of cases) {
    test(`${codes}: the permuted affine is RAS and every voxel keeps its world position`, () => {
      const p = rasPermutation(affine);
      const newShape = permutedShape(shape, p);
      const newAffine = permutedAffine(affine, shape, p);
      assert.equal(orientationCodes(newAffine), 'RAS');
      // New voxel n on axis a is old index perm[a] at n or (size − 1 − n); both grids must agree on the world point.
      for (const n of [[0, 0, 0], [1, 2, 3], [newShape[0] - 1, newShape[1] - 1, newShape[2] - 1]]) {
        const old = [0, 0, 0];
        for (let a = 0; a < 3; a++) old[p.perm[a]] = p.flip[a] ? shape[p.perm[a]] - 1 - n[a] : n[a];
        assert.deepEqual(applyAffine(newAffine, n), applyAffine(affine, old));
      }
      const back = invertPermutation(p);
      assert.deepEqual(permutedShape(newShape, back), shape);
      assert.deepEqual(Array.from(permutedAffine(newAffine, newShape, back)), Array.from(affine));
    });
  }
});
