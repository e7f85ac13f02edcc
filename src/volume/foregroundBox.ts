/** The bounding box of nonzero voxels, taken over several volumes on one grid (e.g. all contrasts of a case). */
import type { Shape3, Volume } from './volume.js';
import { assert, fmtShape } from '../util/index.js';

export interface Box {
  readonly start: Shape3;
  readonly shape: Shape3;
}

/** Returns null when every voxel of every volume is zero. */
export function foregroundBox(volumes: readonly Volume[]): Box | null {
  assert(volumes.length > 0, () => 'foregroundBox: expected at least one volume, got none');
  const [nx, ny, nz] = volumes[0].shape;
  const lo = [nx, ny, nz];
  const hi = [-1, -1, -1];
  for (const v of volumes) {
    assert(
      v.shape[0] === nx && v.shape[1] === ny && v.shape[2] === nz,
      () => `foregroundBox: all volumes must share shape ${fmtShape([nx, ny, nz])}, got ${fmtShape(v.shape)}`,
    );
    const d = v.data;
    let o = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        let first = -1;
        let last = -1;
        for (let i = 0; i < nx; i++, o++) {
          if (d[o] !== 0) {
            if (first < 0) first = i;
            last = i;
          }
        }
        if (first < 0) continue;
        if (first < lo[0]) lo[0] = first;
        if (last > hi[0]) hi[0] = last;
        if (j < lo[1]) lo[1] = j;
        if (j > hi[1]) hi[1] = j;
        if (k < lo[2]) lo[2] = k;
        if (k > hi[2]) hi[2] = k;
      }
    }
  }
  if (hi[0] < 0) return null;
  return { start: [lo[0], lo[1], lo[2]], shape: [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1] };
}
