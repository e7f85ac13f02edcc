import { assert, fmtShape } from '../../util/index.js';
import type { NiftiHeader } from './header.js';

/**
 * The voxel→world affine of a NIfTI header and its inverse, the qform fields for an affine.
 *
 * nifti1.h gives three methods; like nibabel (`get_best_affine`) we take the sform when sform_code > 0, else
 * the qform when qform_code > 0, else nibabel's Analyze-style base affine (pixdim scaling, x flipped, centred).
 * The qform is a rotation stored as the unit quaternion (a, b, c, d) with only b, c, d on disk, a = sqrt(1 -
 * b² - c² - d²) ≥ 0, plus qfac = pixdim[0] (−1 flips the third voxel axis, giving a left-handed grid):
 *   [x y z]ᵀ = R · diag(pixdim[1], pixdim[2], qfac · pixdim[3]) · [i j k]ᵀ + [qoffset_x qoffset_y qoffset_z]ᵀ.
 * A 180° rotation has a = 0 (BraTS headers store b = c = 0, d = 1), and float32 rounding can make
 * b² + c² + d² exceed 1 by an ulp, hence the clamp and the normalisation in {@link quaternionToRotation}.
 */

export type Matrix3 = [number, number, number, number, number, number, number, number, number];

/** The qform fields that represent an affine (what nibabel's `set_qform` computes). */
export interface QformFields {
  quatern_b: number; quatern_c: number; quatern_d: number;
  qoffset_x: number; qoffset_y: number; qoffset_z: number;
  /** pixdim[0]: +1 for a right-handed voxel grid, −1 for a left-handed one. */
  qfac: 1 | -1;
  /** pixdim[1..3]: the lengths of the affine's first three columns. */
  zooms: [number, number, number];
}

/** Row-major 4x4 affine of a header by nibabel's precedence (see the file comment). */
export function effectiveAffine(header: NiftiHeader): Float64Array {
  return affineOf(header, 'effectiveAffine');
}

/** {@link effectiveAffine} with the caller (and file) named in its errors. */
export function affineOf(header: NiftiHeader, who: string): Float64Array {
  const [affine, source] = header.sform_code > 0 ? [sformAffine(header, who), 'sform (srow_x/y/z)']
    : header.qform_code > 0 ? [qformAffine(header, who), 'qform (quaternion and pixdim)'] : [baseAffine(header, who), 'pixdim'];
  // A singular affine (an all-zero sform, a zero voxel size) maps the grid onto a plane or a point: no geometry to keep.
  const [a, b, c, , d, e, f, , g, h, i] = affine;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  assert(Number.isFinite(det) && det !== 0, () => `${who}: the voxel-to-world affine from the ${source} is singular `
    + `(rows ${fmtShape([a, b, c])}, ${fmtShape([d, e, f])}, ${fmtShape([g, h, i])}): a zero voxel size or an empty transform`);
  return affine;
}

function sformAffine(header: NiftiHeader, who: string): Float64Array {
  const rows = [header.srow_x, header.srow_y, header.srow_z];
  rows.forEach((row, r) => assert(row.length === 4 && row.every(Number.isFinite), () =>
    `${who}: sform_code is ${header.sform_code} but srow_${'xyz'[r]} = ${fmtShape(row)} is not 4 finite numbers`));
  return Float64Array.from([...rows[0], ...rows[1], ...rows[2], 0, 0, 0, 1]);
}

function qformAffine(header: NiftiHeader, who: string): Float64Array {
  const { quatern_b: b, quatern_c: c, quatern_d: d, qoffset_x: x, qoffset_y: y, qoffset_z: z } = header;
  assert([b, c, d, x, y, z].every(Number.isFinite), () =>
    `${who}: qform_code is ${header.qform_code} but the quaternion (${b}, ${c}, ${d}) or offset ` +
    `(${x}, ${y}, ${z}) is not finite`);
  // nibabel treats any pixdim[0] other than −1 as +1 (many writers leave it 0).
  const qfac = header.pixdim[0] === -1 ? -1 : 1;
  return qformFieldsToAffine({
    quatern_b: b, quatern_c: c, quatern_d: d, qoffset_x: x, qoffset_y: y, qoffset_z: z,
    qfac, zooms: spatialZooms(header, who),
  });
}

/** The affine R · diag(zooms[0], zooms[1], qfac · zooms[2]) + offset that qform fields describe. */
export function qformFieldsToAffine(q: QformFields): Float64Array {
  const R = quaternionToRotation(q.quatern_b, q.quatern_c, q.quatern_d);
  const scale = [q.zooms[0], q.zooms[1], q.qfac * q.zooms[2]];
  const A = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    for (let col = 0; col < 3; col++) A[4 * r + col] = R[3 * r + col] * scale[col];
  }
  A[3] = q.qoffset_x; A[7] = q.qoffset_y; A[11] = q.qoffset_z; A[15] = 1;
  return A;
}

/** nibabel's `get_base_affine`: diag(−dx, dy, dz) with the volume's centre voxel at the origin. */
function baseAffine(header: NiftiHeader, who: string): Float64Array {
  const zooms = spatialZooms(header, who);
  const rank = header.dim[0];
  const A = new Float64Array(16);
  for (let axis = 0; axis < 3; axis++) {
    const n = axis < rank ? header.dim[axis + 1] : 1;
    const zoom = axis === 0 ? -zooms[0] : zooms[axis];
    A[5 * axis] = zoom;
    A[4 * axis + 3] = -zoom * (n - 1) / 2;
  }
  A[15] = 1;
  return A;
}

/** pixdim[1..3] (1 for axes beyond dim[0], as nibabel pads them), which must be finite and not negative. */
function spatialZooms(header: NiftiHeader, who: string): [number, number, number] {
  const zooms: number[] = [];
  for (let axis = 1; axis <= 3; axis++) {
    const zoom = axis <= header.dim[0] ? header.pixdim[axis] : 1;
    assert(Number.isFinite(zoom) && zoom >= 0, () =>
      `${who}: pixdim[${axis}] = ${zoom} must be a finite, non-negative voxel size (needed because ` +
      `sform_code is ${header.sform_code}, so the affine comes from the ${header.qform_code > 0 ? 'qform' : 'pixdim'})`);
    zooms.push(zoom);
  }
  return zooms as [number, number, number];
}

/**
 * Rotation matrix (row-major 3x3) of the unit quaternion with vector part (b, c, d). a is recovered as
 * sqrt(max(0, 1 − b² − c² − d²)); dividing by the squared norm (as nibabel's quat2mat does) then keeps the
 * result a rotation when rounding pushed |(b, c, d)| slightly above 1.
 */
export function quaternionToRotation(b: number, c: number, d: number): Matrix3 {
  const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
  const norm2 = a * a + b * b + c * c + d * d;
  if (norm2 < Number.EPSILON) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const s = 2 / norm2;
  const [B, C, D] = [b * s, c * s, d * s];
  return [
    1 - (c * C + d * D), b * C - a * D, b * D + a * C,
    b * C + a * D, 1 - (b * B + d * D), c * D - a * B,
    b * D - a * C, c * D + a * B, 1 - (b * B + c * C),
  ];
}

/**
 * Unit quaternion [a, b, c, d] (a ≥ 0) of a rotation matrix, by Shepperd's method: it divides by the largest
 * of the four candidate magnitudes, so 180° rotations (a = 0), where the trace formula divides by zero,
 * come out exact.
 */
export function rotationToQuaternion(R: Matrix3): [number, number, number, number] {
  const [r00, r01, r02, r10, r11, r12, r20, r21, r22] = R;
  const trace = r00 + r11 + r22;
  let q: [number, number, number, number];
  if (trace > 0) {
    const s = 2 * Math.sqrt(1 + trace);
    q = [s / 4, (r21 - r12) / s, (r02 - r20) / s, (r10 - r01) / s];
  } else if (r00 >= r11 && r00 >= r22) {
    const s = 2 * Math.sqrt(Math.max(0, 1 + r00 - r11 - r22));
    q = [(r21 - r12) / s, s / 4, (r01 + r10) / s, (r02 + r20) / s];
  } else if (r11 >= r22) {
    const s = 2 * Math.sqrt(Math.max(0, 1 + r11 - r00 - r22));
    q = [(r02 - r20) / s, (r01 + r10) / s, s / 4, (r12 + r21) / s];
  } else {
    const s = 2 * Math.sqrt(Math.max(0, 1 + r22 - r00 - r11));
    q = [(r10 - r01) / s, (r02 + r20) / s, (r12 + r21) / s, s / 4];
  }
  // q and −q are the same rotation; the file stores only b, c, d and implies a ≥ 0.
  return q[0] < 0 ? [-q[0], -q[1], -q[2], -q[3]] : q;
}

/**
 * The qform fields of an affine, as nibabel's `set_qform` computes them: zooms are the column lengths, qfac
 * the sign of the determinant, and the rotation the nearest orthogonal matrix (polar decomposition), so any
 * rotation, 180° ones included, and affines with slight shear or rounding noise all get a valid quaternion.
 */
export function affineToQform(affine: Float64Array, who: string): QformFields {
  assert(affine.length === 16 && affine.every(Number.isFinite), () =>
    `${who}: affine must be 16 finite numbers (row-major 4x4), got ${fmtShape([...affine])}`);
  const zooms = [0, 1, 2].map((col) => Math.hypot(affine[col], affine[4 + col], affine[8 + col])) as [number, number, number];
  zooms.forEach((zoom, col) => assert(zoom > 0, () =>
    `${who}: affine column ${col} is zero, so voxel axis ${col} has no direction; expected a non-singular affine`));
  const R = [0, 1, 2].flatMap((r) => [0, 1, 2].map((col) => affine[4 * r + col] / zooms[col])) as Matrix3;
  const qfac = det3(R) < 0 ? -1 : 1;
  if (qfac < 0) for (let r = 0; r < 3; r++) R[3 * r + 2] = -R[3 * r + 2];
  const [, b, c, d] = rotationToQuaternion(nearestRotation(R, who));
  return {
    quatern_b: b, quatern_c: c, quatern_d: d,
    qoffset_x: affine[3], qoffset_y: affine[7], qoffset_z: affine[11],
    qfac, zooms,
  };
}

/**
 * Orthogonal polar factor of a non-singular 3x3 matrix: the orthogonal matrix nearest to it (Frobenius norm),
 * the same as U·Vᵀ from its SVD. Newton's iteration X ← (X + X⁻ᵀ)/2 converges quadratically from any
 * non-singular start and keeps the sign of the determinant.
 */
export function nearestRotation(M: Matrix3, who: string): Matrix3 {
  let X = [...M] as Matrix3;
  for (let iteration = 0; iteration < 100; iteration++) {
    const inverseT = inverseTranspose3(X, who);
    const next = X.map((v, k) => (v + inverseT[k]) / 2) as Matrix3;
    const change = next.reduce((sum, v, k) => sum + Math.abs(v - X[k]), 0);
    X = next;
    if (change < 1e-15) break;
  }
  return X;
}

export function det3(M: Matrix3): number {
  const [a, b, c, d, e, f, g, h, i] = M;
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

function inverseTranspose3(M: Matrix3, who: string): Matrix3 {
  const [a, b, c, d, e, f, g, h, i] = M;
  const det = det3(M);
  assert(Math.abs(det) > 1e-12, () => `${who}: the affine's 3x3 part ${fmtShape(M)} is singular (determinant ${det})`);
  // Cofactor matrix divided by the determinant is the inverse transposed.
  return [
    (e * i - f * h) / det, -(d * i - f * g) / det, (d * h - e * g) / det,
    -(b * i - c * h) / det, (a * i - c * g) / det, -(a * h - b * g) / det,
    (b * f - c * e) / det, -(a * f - c * d) / det, (a * e - b * d) / det,
  ];
}
