/**
 * Crop and pad as one operation: a window of `shape` voxels whose first voxel is the old voxel `start`.
 * A negative start or a window that runs past the end pads with `fill`. The inverse of a window is the
 * window at `-start` with the old shape, which is how crops and pads are undone.
 */
import type { Shape3, Volume } from './volume.js';
import { multiplyAffine, translationIndexMap } from './affine.js';
import { assert, fmtShape } from '../util/index.js';

export function extractWindow(volume: Volume, start: readonly number[], shape: Shape3, fill = 0): Volume {
  assert(
    start.length === 3 && start.every(Number.isInteger),
    () => `extractWindow: start must be 3 integers, got ${fmtShape(start)}`,
  );
  assert(
    shape.length === 3 && shape.every((n) => Number.isInteger(n) && n > 0),
    () => `extractWindow: shape must be 3 positive integers, got ${fmtShape(shape)}`,
  );
  const [nx, ny, nz] = volume.shape;
  const [mx, my, mz] = shape;
  const out = new Float32Array(mx * my * mz);
  if (fill !== 0) out.fill(fill);
  // Only the overlap of the window with the old grid is copied, one contiguous x-row at a time.
  const i0 = Math.max(0, -start[0]);
  const i1 = Math.min(mx, nx - start[0]);
  if (i1 > i0) {
    for (let k = Math.max(0, -start[2]); k < Math.min(mz, nz - start[2]); k++) {
      for (let j = Math.max(0, -start[1]); j < Math.min(my, ny - start[1]); j++) {
        const from = start[0] + i0 + nx * (start[1] + j + ny * (start[2] + k));
        out.set(volume.data.subarray(from, from + (i1 - i0)), i0 + mx * (j + my * k));
      }
    }
  }
  return { data: out, shape: [mx, my, mz], affine: multiplyAffine(volume.affine, translationIndexMap(start)) };
}
