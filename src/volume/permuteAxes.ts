/**
 * Reorders the voxels of a volume by an axis permutation with flips. No value is interpolated, so the
 * data are moved bit for bit and the affine is updated exactly; this is how volumes are brought to RAS+
 * and back.
 */
import type { Volume } from './volume.js';
import { type AxisPermutation, permutedAffine, permutedShape } from './orientation.js';
import { assert, fmtShape } from '../util/index.js';

export function permuteAxes(volume: Volume, p: AxisPermutation): Volume {
  const [nx, ny, nz] = volume.shape;
  assert(
    volume.data.length === nx * ny * nz,
    () => `permuteAxes: data length ${volume.data.length} does not match shape ${fmtShape(volume.shape)}`,
  );
  const oldStrides = [1, nx, nx * ny];
  const shape = permutedShape(volume.shape, p);
  // Old linear offset = base + Σ step[a]·n[a]; a flipped axis starts at its last index and walks back.
  let base = 0;
  const step = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const stride = oldStrides[p.perm[a]];
    step[a] = p.flip[a] ? -stride : stride;
    if (p.flip[a]) base += (volume.shape[p.perm[a]] - 1) * stride;
  }
  const src = volume.data;
  const out = new Float32Array(src.length);
  const [mx, my, mz] = shape;
  const [s0, s1, s2] = step;
  let o = 0;
  for (let k = 0; k < mz; k++) {
    for (let j = 0; j < my; j++) {
      let from = base + s2 * k + s1 * j;
      for (let i = 0; i < mx; i++, from += s0) out[o++] = src[from];
    }
  }
  return { data: out, shape, affine: permutedAffine(volume.affine, volume.shape, p) };
}
