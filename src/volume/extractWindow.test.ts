import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractWindow } from './extractWindow.js';
import { affineFrom, applyAffine } from './affine.js';
import type { Volume } from './volume.js';

const affine = affineFrom([[-1, 0, 0, 10], [0, -1, 0, 20], [0, 0, 2, 30], [0, 0, 0, 1]]);
const v: Volume = { data: new Float32Array(4 * 3 * 2).map((_, i) => i + 1), shape: [4, 3, 2], affine };

test('a window inside the grid crops, and its affine keeps world positions', () => {
  const w = extractWindow(v, [1, 1, 1], [2, 2, 1]);
  // voxels (1,1,1) (2,1,1) (1,2,1) (2,2,1) → linear 1+4+12 … (1-based values)
  assert.deepEqual(Array.from(w.data), [18, 19, 22, 23]);
  assert.deepEqual(applyAffine(w.affine, [0, 0, 0]), applyAffine(affine, [1, 1, 1]));
});

test('a window past the edges pads with the fill value, and the opposite window restores the data', () => {
  const w = extractWindow(v, [-1, 0, -2], [6, 3, 5], -5);
  assert.equal(w.data[0], -5);
  assert.equal(w.data[1 + 6 * (0 + 3 * 2)], 1); // old voxel (0,0,0)
  assert.equal(w.data[5 + 6 * (2 + 3 * 4)], -5);
  const back = extractWindow(w, [1, 0, 2], v.shape);
  assert.deepEqual(back.data, v.data);
  assert.deepEqual(Array.from(back.affine), Array.from(affine));
});

test('a window that misses the grid is all fill; bad arguments are named', () => {
  assert.deepEqual(Array.from(extractWindow(v, [10, 0, 0], [1, 1, 1], 3).data), [3]);
  assert.throws(() => extractWindow(v, [0.5, 0, 0], [1, 1, 1]), /start must be 3 integers, got \[0.5,0,0\]/);
  assert.throws(() => extractWindow(v, [0, 0, 0], [1, 0, 1]), /shape must be 3 positive integers, got \[1,0,1\]/);
});
