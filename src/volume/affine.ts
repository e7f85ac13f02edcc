/**
 * 4x4 affine utilities over the row-major `Affine` of `Volume` (entry (r, c) at `r * 4 + c`).
 *
 * Grid changes in this project (permute/flip, crop/pad, resample) are all described the same way: an
 * "index map" M that takes an index of the new grid to the continuous index of the old grid. The new
 * grid's voxel→world affine is then `old · M`, which is why `indexMap` builders live here next to the
 * product.
 */
import type { Affine, Shape3 } from './volume.js';
import { assert, fmtShape } from '../util/index.js';

export type Vec3 = [number, number, number];

export function identityAffine(): Affine {
  const m = new Float64Array(16);
  m[0] = m[5] = m[10] = m[15] = 1;
  return m;
}

/** Builds an affine from 16 row-major numbers or 4 rows of 4, checking the size. */
export function affineFrom(values: ArrayLike<number> | readonly (readonly number[])[]): Affine {
  const flat = Array.isArray(values) && Array.isArray(values[0]) ? (values as number[][]).flat() : Array.from(values as ArrayLike<number>);
  assert(flat.length === 16, () => `affineFrom: expected 16 numbers (4x4 row-major), got ${flat.length}`);
  assert(flat.every(Number.isFinite), () => `affineFrom: entries must be finite, got [${flat.join(',')}]`);
  return Float64Array.from(flat);
}

export function checkAffine(affine: Affine, where: string): void {
  assert(affine.length === 16, () => `${where}: affine must have 16 entries (4x4 row-major), got ${affine.length}`);
  assert(
    affine[12] === 0 && affine[13] === 0 && affine[14] === 0 && affine[15] === 1,
    () => `${where}: affine's last row must be [0,0,0,1], got [${Array.from(affine.subarray(12)).join(',')}]`,
  );
}

/** `a · b`: apply `b` first, then `a`. */
export function multiplyAffine(a: Affine, b: Affine): Affine {
  const out = new Float64Array(16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r * 4 + k] * b[k * 4 + c];
      out[r * 4 + c] = s;
    }
  }
  return out;
}

/** Inverse of an affine (last row [0,0,0,1]) through the 3x3 adjugate; singular matrices are rejected. */
export function invertAffine(a: Affine): Affine {
  checkAffine(a, 'invertAffine');
  const [m00, m01, m02, t0, m10, m11, m12, t1, m20, m21, m22, t2] = a;
  const c00 = m11 * m22 - m12 * m21;
  const c01 = m12 * m20 - m10 * m22;
  const c02 = m10 * m21 - m11 * m20;
  const det = m00 * c00 + m01 * c01 + m02 * c02;
  const scale = Math.max(...Array.from(a.subarray(0, 11)).map(Math.abs));
  assert(
    Number.isFinite(det) && Math.abs(det) > 1e-12 * scale ** 3,
    () => `invertAffine: the 3x3 part is singular (determinant ${det}), affine [${Array.from(a).join(',')}]`,
  );
  const inv = new Float64Array(16);
  inv[0] = c00 / det;
  inv[1] = (m02 * m21 - m01 * m22) / det;
  inv[2] = (m01 * m12 - m02 * m11) / det;
  inv[4] = c01 / det;
  inv[5] = (m00 * m22 - m02 * m20) / det;
  inv[6] = (m02 * m10 - m00 * m12) / det;
  inv[8] = c02 / det;
  inv[9] = (m01 * m20 - m00 * m21) / det;
  inv[10] = (m00 * m11 - m01 * m10) / det;
  for (let r = 0; r < 3; r++) inv[r * 4 + 3] = -(inv[r * 4] * t0 + inv[r * 4 + 1] * t1 + inv[r * 4 + 2] * t2);
  inv[15] = 1;
  return inv;
}

export function applyAffine(a: Affine, p: readonly number[]): Vec3 {
  return [
    a[0] * p[0] + a[1] * p[1] + a[2] * p[2] + a[3],
    a[4] * p[0] + a[5] * p[1] + a[6] * p[2] + a[7],
    a[8] * p[0] + a[9] * p[1] + a[10] * p[2] + a[11],
  ];
}

/** Voxel sizes in mm: the norms of the first three columns (the world step of one index step per axis). */
export function voxelSizes(a: Affine): Vec3 {
  const size = (c: number) => Math.hypot(a[c], a[4 + c], a[8 + c]);
  return [size(0), size(1), size(2)];
}

export function affinesClose(a: Affine, b: Affine, tol = 1e-6): boolean {
  for (let i = 0; i < 16; i++) if (Math.abs(a[i] - b[i]) > tol * Math.max(1, Math.abs(a[i]), Math.abs(b[i]))) return false;
  return true;
}

export function formatAffine(a: Affine): string {
  return `[${Array.from(a).map((v) => +v.toPrecision(6)).join(',')}]`;
}

/** Index map for a window whose voxel 0 sits at old index `start` (negative start = padding before). */
export function translationIndexMap(start: readonly number[]): Affine {
  const m = identityAffine();
  m[3] = start[0];
  m[7] = start[1];
  m[11] = start[2];
  return m;
}

/**
 * Index map for an axis permutation with flips: new axis `a` walks old axis `perm[a]`, backwards when
 * `flip[a]`, so new index n on that axis is old index `oldShape[perm[a]] - 1 - n`.
 */
export function axisIndexMap(perm: readonly number[], flip: readonly boolean[], oldShape: Shape3): Affine {
  assert(
    perm.length === 3 && [...perm].sort().join() === '0,1,2',
    () => `axisIndexMap: perm must be a permutation of [0,1,2], got ${fmtShape(perm)}`,
  );
  const m = new Float64Array(16);
  m[15] = 1;
  for (let a = 0; a < 3; a++) {
    const old = perm[a];
    m[old * 4 + a] = flip[a] ? -1 : 1;
    m[old * 4 + 3] = flip[a] ? oldShape[old] - 1 : 0;
  }
  return m;
}

/**
 * Index map of a grid coarser (factor > 1) or finer (factor < 1) by `factors` per axis whose voxels tile
 * the old grid from its first voxel's outer edge: new voxel n covers old indices [f·n − ½, f·(n+1) − ½],
 * so its centre is old index f·n + (f − 1)/2. For an integer f this is exactly the block of f old voxels
 * that area averaging uses.
 */
export function scaleIndexMap(factors: readonly number[]): Affine {
  const m = identityAffine();
  for (let a = 0; a < 3; a++) {
    m[a * 4 + a] = factors[a];
    m[a * 4 + 3] = (factors[a] - 1) / 2;
  }
  return m;
}
