import { assert, fmtShape } from '../util/index.js';
import type { Affine, Shape3 } from '../volume/index.js';
import type { Anatomy } from './anatomy.js';

/** The voxel grid a phantom is generated on. */
export interface PhantomGrid {
  readonly shape: Shape3;
  /** Isotropic voxel size, mm. */
  readonly spacing: number;
  readonly affine: Affine;
}

/** BraTS's grid: 240 x 240 x 155 at 1 mm. */
export const BRATS_SHAPE: Shape3 = [240, 240, 155];

/**
 * A grid of `shape` voxels of `spacing` mm stored LPS like BraTS (affine diag(−s, −s, s): i runs towards the
 * patient's right, j towards anterior, k superior) and centred on the anatomy's centre. For the SRI24 map and
 * the default 240 x 240 x 155 at 1 mm this is exactly the BraTS affine, offsets (0, 239, 0): BraTS images are
 * the SRI24 grid with its second axis reversed.
 */
export function phantomGrid(anatomy: Anatomy, shape: Shape3 = BRATS_SHAPE, spacing = 1): PhantomGrid {
  assert(shape.length === 3 && shape.every((n) => Number.isInteger(n) && n >= 2 && n <= 1024), () =>
    `phantomGrid: shape must be 3 integers in [2, 1024], got ${fmtShape(shape)}`);
  assert(Number.isFinite(spacing) && spacing >= 0.25 && spacing <= 10, () =>
    `phantomGrid: spacing must be in [0.25, 10] mm, got ${spacing}`);
  const [cx, cy, cz] = anatomy.centre;
  const affine = new Float64Array(16);
  affine[0] = -spacing;
  affine[5] = -spacing;
  affine[10] = spacing;
  // Voxel (shape − 1)/2 lands on the anatomy's centre.
  affine[3] = cx + (spacing * (shape[0] - 1)) / 2;
  affine[7] = cy + (spacing * (shape[1] - 1)) / 2;
  affine[11] = cz - (spacing * (shape[2] - 1)) / 2;
  affine[15] = 1;
  return { shape: [shape[0], shape[1], shape[2]], spacing, affine };
}
