/**
 * A 3D scalar volume on a voxel grid placed in world space (RAS+ millimetres, the NIfTI convention).
 *
 * `data` is stored in NIfTI order: the first axis varies fastest, i.e. voxel (i, j, k) lives at
 * `i + nx * (j + ny * k)`. `affine` is the 4x4 voxel→world matrix, row-major (16 numbers), mapping
 * (i, j, k, 1) to (x, y, z, 1). Every module that reads, transforms or writes volumes uses this one type,
 * so geometry travels with the voxels and is never dropped on the way.
 */
export type Shape3 = readonly [number, number, number];

/** Row-major 4x4 matrix (16 entries). */
export type Affine = Float64Array;

export interface Volume {
  readonly data: Float32Array;
  readonly shape: Shape3;
  readonly affine: Affine;
}

export function voxelCount(shape: Shape3): number {
  return shape[0] * shape[1] * shape[2];
}
