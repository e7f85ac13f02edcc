/**
 * The voxel size, in mm per model-grid axis, that preprocessing gives a volume of a given affine — known from the
 * header alone, so a case whose resolution does not match what a model was trained on can be refused before any
 * voxel is read. Only two steps change it: reorientation permutes the axes, and resampling sets it.
 */
import { voxelSizes, type Vec3 } from '../volume/index.js';
import { rasPermutation } from '../volume/index.js';
import type { Affine } from '../volume/index.js';
import type { PreprocessConfig } from './preprocessConfig.js';

export function modelVoxelSize(affine: Affine, config: PreprocessConfig): Vec3 {
  let size = voxelSizes(affine);
  for (const step of config.steps) {
    if (step.kind === 'reorient') {
      const { perm } = rasPermutation(affine);
      size = [size[perm[0]], size[perm[1]], size[perm[2]]];
    } else if (step.kind === 'resample') {
      size = [...step.spacing];
    }
  }
  return size;
}

/**
 * Whether two voxel sizes are the same resolution for a network, per axis within a ratio of `tolerance` (default
 * 1.25: a 1 mm model accepts 0.94 × 0.94 × 1.2 mm IXI scans, but not 1.5 mm ones, let alone a 3 mm phantom).
 */
export function sameResolution(a: readonly number[], b: readonly number[], tolerance = 1.25): boolean {
  return a.every((size, axis) => Math.max(size, b[axis]) / Math.min(size, b[axis]) <= tolerance);
}

/** E.g. `3×3×3 mm`, `0.9375×0.9375×1.2 mm`: four significant digits, float32 header noise dropped. */
export function formatVoxelSize(size: readonly number[]): string {
  return `${size.map((mm) => Number(mm.toPrecision(4))).join('×')} mm`;
}
