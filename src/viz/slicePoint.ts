/**
 * Which slices a picture shows: the middle of the grid, a voxel of the RAS+-reoriented grid, or a world
 * point in millimetres. Voxel indices refer to the RAS grid (not the stored order) so that one `--slice`
 * means the same anatomy for every volume in the picture, whatever orientation each was stored in.
 */
import type { Affine, Shape3 } from '../volume/index.js';
import { applyAffine, invertAffine, type Vec3 } from '../volume/index.js';
import { assert, fmtShape } from '../util/index.js';

type Triple = readonly [number, number, number];

export type SlicePoint =
  | { readonly kind: 'mid' }
  | { readonly kind: 'voxel'; readonly ijk: Triple }
  | { readonly kind: 'world'; readonly xyz: Triple };

export const MID_SLICE: SlicePoint = Object.freeze({ kind: 'mid' });

/** Parses `--slice`: `mid`, or three comma-separated numbers read as RAS voxel indices, or as mm when `world`. */
export function parseSlicePoint(text: string, world = false): SlicePoint {
  if (text.trim() === 'mid') return MID_SLICE;
  const parts = text.split(',').map((s) => s.trim());
  const numbers = parts.map((s) => (s === '' ? NaN : Number(s)));
  assert(
    parts.length === 3 && numbers.every(Number.isFinite),
    () => `parseSlicePoint: expected 'mid' or three numbers 'i,j,k'${world ? ' (mm)' : ''}, got '${text}'`,
  );
  const point = numbers as unknown as Triple;
  if (world) return { kind: 'world', xyz: point };
  assert(numbers.every(Number.isInteger), () => `parseSlicePoint: voxel indices must be integers, got '${text}' (use world mm for fractional positions)`);
  return { kind: 'voxel', ijk: point };
}

/** The RAS voxel whose axial, coronal and sagittal slices are shown; a world point goes to its nearest voxel. */
export function resolveSlicePoint(point: SlicePoint, rasShape: Shape3, rasAffine: Affine): Vec3 {
  const ijk: Vec3 =
    point.kind === 'mid'
      ? [Math.floor(rasShape[0] / 2), Math.floor(rasShape[1] / 2), Math.floor(rasShape[2] / 2)]
      : point.kind === 'voxel'
        ? [...point.ijk]
        : (applyAffine(invertAffine(rasAffine), point.xyz).map(Math.round) as Vec3);
  assert(
    ijk.every((v, a) => v >= 0 && v < rasShape[a]),
    () =>
      `resolveSlicePoint: slice ${point.kind === 'world' ? `at world [${point.xyz.join(',')}] mm falls on RAS voxel` : 'voxel'} ` +
      `[${ijk.join(',')}], outside the RAS grid of shape ${fmtShape(rasShape)}`,
  );
  return ijk;
}
