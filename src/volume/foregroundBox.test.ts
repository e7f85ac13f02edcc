import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foregroundBox } from './foregroundBox.js';
import { identityAffine } from './affine.js';
import type { Volume } from './volume.js';

const shape = [6, 5, 4] as const;
function withVoxels(voxels: [number, number, number, number][]): Volume {
  const data = new Float32Array(120);
  for (const [i, j, k, value] of voxels) data[i + 6 * (j + 5 * k)] = value;
  return { data, shape, affine: identityAffine() };
}

test('the box spans the nonzero voxels of all volumes together', () => {
  const a = withVoxels([[2, 1, 3, 1], [4, 1, 1, -2]]);
  const b = withVoxels([[1, 3, 2, 0.5]]);
  assert.deepEqual(foregroundBox([a]), { start: [2, 1, 1], shape: [3, 1, 3] });
  assert.deepEqual(foregroundBox([a, b]), { start: [1, 1, 1], shape: [4, 3, 3] });
});

test('an all-zero case has no box; mismatched shapes are rejected', () => {
  assert.equal(foregroundBox([withVoxels([])]), null);
  const other: Volume = { data: new Float32Array(8), shape: [2, 2, 2], affine: identityAffine() };
  assert.throws(() => foregroundBox([withVoxels([]), other]), /all volumes must share shape \[6,5,4\], got \[2,2,2\]/);
});
