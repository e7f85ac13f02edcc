/**
 * Orientation of a voxel grid in RAS+ world space, in nibabel's vocabulary: the axis codes of an affine
 * ('LPS', 'RAS', …) name, for each stored voxel axis, the world direction that its index increases
 * towards. The same analysis gives the axis permutation and flips that bring stored voxel order to RAS+
 * without interpolation.
 */
import type { Affine, Shape3 } from './volume.js';
import { axisIndexMap, checkAffine, formatAffine, invertAffine, multiplyAffine } from './affine.js';
import { assert } from '../util/index.js';

/** For each voxel axis: the world axis it runs along (0 = x, 1 = y, 2 = z) and the direction (+1/−1). */
export interface AxisOrientation {
  readonly worldAxis: readonly [number, number, number];
  readonly sign: readonly [1 | -1, 1 | -1, 1 | -1];
}

/** Permutation plus flips of the voxel axes: new axis `a` walks old axis `perm[a]`, reversed if `flip[a]`. */
export interface AxisPermutation {
  readonly perm: readonly [number, number, number];
  readonly flip: readonly [boolean, boolean, boolean];
}

const POSITIVE_CODES = ['R', 'A', 'S'] as const;
const NEGATIVE_CODES = ['L', 'P', 'I'] as const;

/**
 * Closest rotation-with-reflection to the 3x3 part after removing voxel sizes (the polar factor), found
 * by the Newton iteration R ← (R + R⁻ᵀ)/2. Using it rather than the raw columns means that shear does
 * not decide the axis assignment, which is how nibabel's io_orientation reads oblique affines.
 */
function polarFactor(affine: Affine): Float64Array {
  let r = new Float64Array(16);
  r[15] = 1;
  for (let c = 0; c < 3; c++) {
    const norm = Math.hypot(affine[c], affine[4 + c], affine[8 + c]);
    assert(norm > 0, () => `orientation: voxel axis ${c} has a zero column in affine ${formatAffine(affine)}`);
    for (let row = 0; row < 3; row++) r[row * 4 + c] = affine[row * 4 + c] / norm;
  }
  for (let iter = 0; iter < 100; iter++) {
    const inv = invertAffine(r);
    const next = new Float64Array(16);
    next[15] = 1;
    let change = 0;
    for (let row = 0; row < 3; row++) {
      for (let c = 0; c < 3; c++) {
        next[row * 4 + c] = (r[row * 4 + c] + inv[c * 4 + row]) / 2;
        change = Math.max(change, Math.abs(next[row * 4 + c] - r[row * 4 + c]));
      }
    }
    r = next;
    if (change < 1e-15) break;
  }
  return r;
}

/**
 * Assigns each voxel axis to a world axis. Axes are taken greedily in voxel order; each takes the world
 * axis its direction has the largest component on among those not yet taken, so ties (45° obliques)
 * still give a permutation.
 */
export function axisOrientation(affine: Affine): AxisOrientation {
  checkAffine(affine, 'axisOrientation');
  const r = polarFactor(affine);
  const taken = [false, false, false];
  const worldAxis: number[] = [];
  const sign: (1 | -1)[] = [];
  for (let c = 0; c < 3; c++) {
    let best = -1;
    for (let row = 0; row < 3; row++) {
      if (taken[row]) continue;
      if (best < 0 || Math.abs(r[row * 4 + c]) > Math.abs(r[best * 4 + c])) best = row;
    }
    taken[best] = true;
    worldAxis.push(best);
    sign.push(r[best * 4 + c] < 0 ? -1 : 1);
  }
  return { worldAxis: worldAxis as [number, number, number], sign: sign as [1 | -1, 1 | -1, 1 | -1] };
}

/** Axis codes of an affine, like nibabel's aff2axcodes: 'LPS' for diag(−1, −1, 1), 'RAS' for identity. */
export function orientationCodes(affine: Affine): string {
  const { worldAxis, sign } = axisOrientation(affine);
  return worldAxis.map((w, c) => (sign[c] > 0 ? POSITIVE_CODES[w] : NEGATIVE_CODES[w])).join('');
}

/** The permutation and flips that make voxel axis a run along world axis a in the + direction. */
export function rasPermutation(affine: Affine): AxisPermutation {
  const { worldAxis, sign } = axisOrientation(affine);
  const perm = [0, 0, 0] as [number, number, number];
  const flip = [false, false, false] as [boolean, boolean, boolean];
  for (let c = 0; c < 3; c++) {
    perm[worldAxis[c]] = c;
    flip[worldAxis[c]] = sign[c] < 0;
  }
  return { perm, flip };
}

/** The permutation that undoes `p`: applying `p` then `invertPermutation(p)` restores the voxel order. */
export function invertPermutation(p: AxisPermutation): AxisPermutation {
  const perm = [0, 0, 0] as [number, number, number];
  const flip = [false, false, false] as [boolean, boolean, boolean];
  for (let a = 0; a < 3; a++) {
    perm[p.perm[a]] = a;
    flip[p.perm[a]] = p.flip[a];
  }
  return { perm, flip };
}

export function permutedShape(shape: Shape3, p: AxisPermutation): Shape3 {
  return [shape[p.perm[0]], shape[p.perm[1]], shape[p.perm[2]]];
}

/** The affine of the permuted grid; exact, because the index map holds only 0, ±1 and integer shifts. */
export function permutedAffine(affine: Affine, shape: Shape3, p: AxisPermutation): Affine {
  return multiplyAffine(affine, axisIndexMap(p.perm, p.flip, shape));
}
