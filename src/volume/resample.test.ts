import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { gridForSpacing, resample } from './resample.js';
import { affineFrom, applyAffine } from './affine.js';
import type { Shape3, Volume } from './volume.js';

const affine = affineFrom([[-1, 0, 0, 50], [0, -1, 0, 40], [0, 0, 1, -20], [0, 0, 0, 1]]);

function fill(shape: Shape3, f: (i: number, j: number, k: number) => number): Volume {
  const data = new Float32Array(shape[0] * shape[1] * shape[2]);
  let o = 0;
  for (let k = 0; k < shape[2]; k++) for (let j = 0; j < shape[1]; j++) for (let i = 0; i < shape[0]; i++) data[o++] = f(i, j, k);
  return { data, shape, affine };
}

describe('gridForSpacing', () => {
  test('2 mm over 1 mm voxels halves each axis, rounding up', () => {
    assert.deepEqual(gridForSpacing([8, 7, 6], affine, [2, 2, 2]), { shape: [4, 4, 3], factors: [2, 2, 2] });
    assert.deepEqual(gridForSpacing([8, 8, 8], affine, [1, 4, 0.5]), { shape: [8, 2, 16], factors: [1, 4, 0.5] });
  });
});

describe('resample', () => {
  test('a coarse voxel sits at the world centre of the block it covers', () => {
    const v = fill([4, 4, 4], () => 1);
    const out = resample(v, { shape: [2, 2, 2], factors: [2, 2, 2] }, 'linear');
    // block i ∈ {2, 3}: centre index 2.5 → world x = 50 − 2.5
    assert.deepEqual(applyAffine(out.affine, [1, 1, 1]), applyAffine(affine, [2.5, 2.5, 2.5]));
  });

  test('area averages each 2×2×2 block', () => {
    const v = fill([4, 2, 2], (i, j, k) => i + 10 * j + 100 * k);
    const out = resample(v, { shape: [2, 1, 1], factors: [2, 2, 2] }, 'area');
    // mean of i ∈ {0,1} or {2,3}, j ∈ {0,1}, k ∈ {0,1}: 0.5 + 5 + 50 and 2.5 + 5 + 50
    assert.deepEqual(Array.from(out.data), [55.5, 57.5]);
  });

  test('area averages only existing voxels of a block cut by the edge', () => {
    const v = fill([3, 1, 1], (i) => [2, 4, 9][i]);
    assert.deepEqual(Array.from(resample(v, gridForSpacing([3, 1, 1], affine, [2, 1, 1]), 'area').data), [3, 9]);
  });

  test('linear reproduces a linear ramp at interior points', () => {
    const v = fill([8, 8, 8], (i, j, k) => 3 * i - 2 * j + k);
    const down = resample(v, { shape: [4, 4, 4], factors: [2, 2, 2] }, 'linear');
    for (let n = 0; n < 4; n++) assert.equal(down.data[n + 4 * (n + 4 * n)], 2 * (2 * n + 0.5));
  });

  test('nearest is exact both ways on a label volume constant on 2×2×2 blocks', () => {
    const labels = fill([8, 6, 4], (i, j, k) => (Math.floor(i / 2) * 7 + Math.floor(j / 2) * 3 + Math.floor(k / 2)) % 5);
    const down = resample(labels, gridForSpacing(labels.shape, affine, [2, 2, 2]), 'nearest');
    assert.deepEqual(down.shape, [4, 3, 2]);
    const up = resample(down, { shape: labels.shape, factors: [0.5, 0.5, 0.5] }, 'nearest');
    assert.deepEqual(up.data, labels.data);
    assert.deepEqual(Array.from(up.affine), Array.from(affine));
  });

  test('linear down and up by 2 stays within the interpolation error bound on a smooth blob', () => {
    const blob = fill([24, 24, 24], (i, j, k) => 100 * Math.exp(-((i - 11.5) ** 2 + (j - 12) ** 2 + (k - 11) ** 2) / (2 * 4 ** 2)));
    const up = resample(resample(blob, { shape: [12, 12, 12], factors: [2, 2, 2] }, 'linear'), { shape: [24, 24, 24], factors: [0.5, 0.5, 0.5] }, 'linear');
    let max = 0;
    for (let i = 0; i < blob.data.length; i++) max = Math.max(max, Math.abs(up.data[i] - blob.data[i]));
    // Down: each coarse value averages 2 fine samples per axis, error ≤ (½)²/2·Σ max|∂²f| = ⅛·3·A/σ².
    // Up: linear interpolation over spacing h = 2, error ≤ h²/8·Σ max|∂²f| = ½·3·A/σ². With A = 100, σ = 4:
    const bound = (1 / 8 + 1 / 2) * 3 * (100 / 16);
    assert.ok(max > 0 && max < bound, `max round-trip error ${max}, bound ${bound}`);
  });

  test('area rejects non-integer factors and names the alternative', () => {
    const v = fill([4, 4, 4], () => 0);
    assert.throws(() => resample(v, { shape: [3, 3, 3], factors: [1.5, 1.5, 1.5] }, 'area'), /'area' needs integer downsampling factors, got \[1.5,1.5,1.5\]/);
    assert.throws(() => resample(v, { shape: [3, 3, 3], factors: [1, 1, 1] }, 'cubic' as never), /interpolation must be one of linear, nearest, area, got 'cubic'/);
  });
});
