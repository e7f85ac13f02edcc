import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { affineFrom } from '../volume/index.js';
import { formatVoxelSize, modelVoxelSize, sameResolution } from './modelVoxelSize.js';
import { parsePreprocessConfig } from './preprocessConfig.js';

describe('modelVoxelSize', () => {
  // Voxel axis i runs along world −y in 2 mm steps, j along +z in 3 mm, k along −x in 1 mm: stored 'PSL'.
  const affine = affineFrom([[0, 0, -1, 90], [-2, 0, 0, 120], [0, 3, 0, -60], [0, 0, 0, 1]]);

  test('the stored voxel sizes without reorientation, reordered to x, y, z with it, and the resampled size after resampling', () => {
    assert.deepEqual(modelVoxelSize(affine, parsePreprocessConfig({ steps: [{ kind: 'crop' }] })), [2, 3, 1]);
    assert.deepEqual(modelVoxelSize(affine, parsePreprocessConfig('cwdm')), [1, 2, 3]);
    const resampled = parsePreprocessConfig({ steps: [{ kind: 'reorient' }, { kind: 'resample', spacing: [1.5, 1.5, 4], interpolation: 'linear' }] });
    assert.deepEqual(modelVoxelSize(affine, resampled), [1.5, 1.5, 4]);
  });

  test('sameResolution: within a factor 1.25 per axis', () => {
    assert.ok(sameResolution([1, 1, 1], [0.9375, 0.9375, Math.fround(1.2)])); // IXI on a 1 mm BraTS model
    assert.ok(!sameResolution([1, 1, 1], [1, 1, 1.5]));
    assert.ok(!sameResolution([3, 3, 3], [1, 1, 1]));
    assert.ok(sameResolution([3, 3, 3], [1, 1, 1], 3));
  });

  test('formatVoxelSize drops float32 noise', () => {
    assert.equal(formatVoxelSize([3, Math.fround(2.9999999), 1.2000000476837158]), '3×3×1.2 mm');
  });
});
