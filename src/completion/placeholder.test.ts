import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlaceholder, placeholderVolume } from './placeholder.js';

test('placeholderVolume: the voxel-wise mean of the available contrasts, or zeros', () => {
  const a = Float32Array.from([0, 0.5, 1]);
  const b = Float32Array.from([0, 0.25, 0]);
  assert.deepEqual(placeholderVolume('mean-of-available', [a, b]), Float32Array.from([0, 0.375, 0.5]));
  assert.deepEqual(placeholderVolume('zeros', [a, b]), new Float32Array(3));
  assert.throws(() => placeholderVolume('zeros', []), /needs at least one available contrast/);
  assert.throws(() => placeholderVolume('zeros', [a, new Float32Array(2)]), /must share one grid, got 3, 2 voxels/);
  assert.throws(() => parsePlaceholder('affine'), /placeholder must be one of mean-of-available, zeros, got 'affine'/);
});
