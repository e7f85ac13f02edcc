import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { affineFrom, applyAffine } from '../volume/index.js';
import { anatomyFromVolume } from './anatomy.js';
import { phantomGrid } from './grid.js';

// The SRI24 grid: 240 x 240 x 155 at 1 mm, LAS with a zero origin, as stored in the atlas files.
const sri24 = anatomyFromVolume({
  data: new Float32Array(240 * 240 * 155), shape: [240, 240, 155],
  affine: affineFrom([-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
}, 'sri24-like');

describe('phantomGrid', () => {
  test('the default grid on the SRI24 map is the BraTS grid: LPS, diag(-1,-1,1), offsets (0, 239, 0)', () => {
    const grid = phantomGrid(sri24);
    assert.deepEqual(grid.shape, [240, 240, 155]);
    assert.deepEqual(Array.from(grid.affine), [-1, 0, 0, 0, 0, -1, 0, 239, 0, 0, 1, 0, 0, 0, 0, 1]);
  });

  test('other grids are centred on the anatomy with the requested spacing', () => {
    const grid = phantomGrid(sri24, [96, 96, 64], 2);
    const centre = applyAffine(grid.affine, [47.5, 47.5, 31.5]);
    centre.forEach((x, a) => assert.ok(Math.abs(x - sri24.centre[a]) < 1e-9));
    assert.deepEqual([grid.affine[0], grid.affine[5], grid.affine[10]], [-2, -2, 2]);
  });

  test('rejects bad shapes and spacings with the value', () => {
    assert.throws(() => phantomGrid(sri24, [96, 1, 64]), /phantomGrid: shape must be 3 integers in \[2, 1024\], got \[96,1,64\]/);
    assert.throws(() => phantomGrid(sri24, [96, 96, 64], 0), /phantomGrid: spacing must be in \[0.25, 10\] mm, got 0/);
  });
});
