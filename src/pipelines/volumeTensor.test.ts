import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, tidy } from '../tensor/index.js';
import type { Volume } from '../volume/index.js';
import { tensorToVolumeData, volumesToTensor } from './volumeTensor.js';

const shape = [2, 3, 4] as const;
const volume = (offset: number): Volume => ({
  data: Float32Array.from({ length: 24 }, (_, v) => offset + v), shape, affine: new Float64Array(16),
});

describe('volumesToTensor / tensorToVolumeData', () => {
  test('voxel (i, j, k) lands at [0, c, i, j, k] and comes back in NIfTI order', () => tidy(() => {
    const before = memory().numTensors;
    const t = volumesToTensor([volume(0), volume(100)]);
    assert.deepEqual(t.shape, [1, 2, 2, 3, 4]);
    const values = t.toTypedArray<'float32'>();
    // (i, j, k) = (1, 2, 3) is NIfTI index 1 + 2·(2 + 3·3) = 23; in the tensor it is at ((c·2 + 1)·3 + 2)·4 + 3.
    assert.equal(values[((0 * 2 + 1) * 3 + 2) * 4 + 3], 23);
    assert.equal(values[((1 * 2 + 1) * 3 + 2) * 4 + 3], 123);
    assert.deepEqual(tensorToVolumeData(t, 1), volume(100).data);
    t.dispose();
    assert.equal(memory().numTensors, before);
  }));

  test('volumes on different grids are refused', () => {
    const other: Volume = { data: new Float32Array(24), shape: [4, 3, 2], affine: new Float64Array(16) };
    assert.throws(() => volumesToTensor([volume(0), other]), /volumesToTensor: volume 1 has shape \[4,3,2\] \(24 values\), volume 0 has \[2,3,4\]/);
  });
});
