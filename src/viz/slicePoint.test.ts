import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseSlicePoint, resolveSlicePoint } from './slicePoint.js';
import { affineFrom } from '../volume/index.js';

// RAS grid of 2 mm voxels whose voxel 0 sits at world (-10, -20, 4).
const affine = affineFrom([[2, 0, 0, -10], [0, 2, 0, -20], [0, 0, 2, 4], [0, 0, 0, 1]]);
const shape = [10, 20, 5] as const;

describe('parseSlicePoint', () => {
  test('reads mid, voxel indices and world millimetres', () => {
    assert.deepEqual(parseSlicePoint('mid'), { kind: 'mid' });
    assert.deepEqual(parseSlicePoint('3, 4,5'), { kind: 'voxel', ijk: [3, 4, 5] });
    assert.deepEqual(parseSlicePoint('-1.5,0,2.25', true), { kind: 'world', xyz: [-1.5, 0, 2.25] });
  });

  test('rejects the wrong count, non-numbers and fractional voxel indices', () => {
    assert.throws(() => parseSlicePoint('1,2'), /parseSlicePoint: expected 'mid' or three numbers 'i,j,k', got '1,2'/);
    assert.throws(() => parseSlicePoint('1,,2'), /got '1,,2'/);
    assert.throws(() => parseSlicePoint('1,2.5,3'), /voxel indices must be integers, got '1,2.5,3'/);
  });
});

describe('resolveSlicePoint', () => {
  test('mid is the floor of half the shape; voxels pass through', () => {
    assert.deepEqual(resolveSlicePoint({ kind: 'mid' }, shape, affine), [5, 10, 2]);
    assert.deepEqual(resolveSlicePoint({ kind: 'voxel', ijk: [9, 0, 4] }, shape, affine), [9, 0, 4]);
  });

  test('a world point goes to the nearest RAS voxel', () => {
    assert.deepEqual(resolveSlicePoint({ kind: 'world', xyz: [-10, -20, 4] }, shape, affine), [0, 0, 0]);
    assert.deepEqual(resolveSlicePoint({ kind: 'world', xyz: [0.9, 3.2, 7.9] }, shape, affine), [5, 12, 2]);
  });

  test('refuses points outside the grid, naming where they fell', () => {
    assert.throws(() => resolveSlicePoint({ kind: 'voxel', ijk: [10, 0, 0] }, shape, affine), /resolveSlicePoint: slice voxel \[10,0,0\], outside the RAS grid of shape \[10,20,5\]/);
    assert.throws(
      () => resolveSlicePoint({ kind: 'world', xyz: [0, 0, -100] }, shape, affine),
      /slice at world \[0,0,-100\] mm falls on RAS voxel \[5,10,-52\], outside/,
    );
  });
});
