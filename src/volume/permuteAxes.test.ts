import { test } from 'node:test';
import assert from 'node:assert/strict';
import { permuteAxes } from './permuteAxes.js';
import { affineFrom, applyAffine } from './affine.js';
import { invertPermutation, orientationCodes, rasPermutation } from './orientation.js';
import type { Volume } from './volume.js';

test('permuteAxes moves every voxel to the index of the same world point, and back bit for bit', () => {
  const shape = [3, 4, 5] as const;
  const data = new Float32Array(60).map((_, i) => i * 1.25 - 7);
  // stored I, L, P: voxel axis 0 → −z, axis 1 → −x, axis 2 → −y
  const affine = affineFrom([[0, -2, 0, 30], [0, 0, -1, 40], [-3, 0, 0, 50], [0, 0, 0, 1]]);
  const v: Volume = { data, shape, affine };
  assert.equal(orientationCodes(affine), 'ILP');
  const p = rasPermutation(affine);
  const ras = permuteAxes(v, p);
  assert.deepEqual(ras.shape, [4, 5, 3]);
  assert.equal(orientationCodes(ras.affine), 'RAS');
  for (let k = 0; k < 3; k++) for (let j = 0; j < 5; j++) for (let i = 0; i < 4; i++) {
    // find the old voxel at the same world point
    const w = applyAffine(ras.affine, [i, j, k]);
    const old = [(50 - w[2]) / 3, (30 - w[0]) / 2, 40 - w[1]];
    assert.equal(ras.data[i + 4 * (j + 5 * k)], data[old[0] + 3 * (old[1] + 4 * old[2])]);
  }
  const back = permuteAxes(ras, invertPermutation(p));
  assert.deepEqual(back.data, data);
  assert.deepEqual(back.shape, shape);
  assert.deepEqual(Array.from(back.affine), Array.from(affine));
});

test('permuteAxes rejects data that does not match the shape', () => {
  const v: Volume = { data: new Float32Array(5), shape: [2, 2, 2], affine: affineFrom([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]) };
  assert.throws(() => permuteAxes(v, { perm: [0, 1, 2], flip: [false, false, false] }), /data length 5 does not match shape \[2,2,2\]/);
});
