import { assert, fmtShape } from '../util/index.js';
import { effectiveAffine, type NiftiHeader } from '../io/nifti/index.js';

/** Where a file's voxels sit: its extents and its effective voxel→world affine (row-major 4x4). */
export interface Grid {
  readonly shape: readonly number[];
  readonly affine: Float64Array;
}

/**
 * How far two affines may differ and still be one grid: millimetres for the translation column, plain numbers
 * for the 3x3 part (voxel size times direction cosines). Defaults: 1e-3 mm and 1e-5, tight enough to catch any
 * real resampling, loose enough for float32 header round-off.
 */
export interface GridTolerance {
  readonly translation: number;
  readonly linear: number;
}

export const DEFAULT_GRID_TOLERANCE: GridTolerance = { translation: 1e-3, linear: 1e-5 };

export interface GridComparison {
  readonly same: boolean;
  readonly shapesEqual: boolean;
  /** Largest absolute difference among the nine entries of the 3x3 part. */
  readonly maxLinearDifference: number;
  /** Largest absolute difference of the translation (mm). */
  readonly maxTranslationDifference: number;
}

/**
 * The grid a header describes. Trailing singleton axes past the third are dropped (the SRI24 atlas stores
 * 240x240x155x1), since they do not change where voxels are. The affine is the effective one, qform or sform
 * as the NIfTI precedence picks; the form codes themselves are deliberately not part of a grid — real BraTS
 * cases store t1ce with qform_code 1 and the rest with 2 over identical matrices.
 */
export function gridOfHeader(header: NiftiHeader): Grid {
  const rank = header.dim[0];
  const shape = header.dim.slice(1, rank + 1);
  while (shape.length > 3 && shape[shape.length - 1] === 1) shape.pop();
  return { shape, affine: effectiveAffine(header) };
}

export function compareGrids(a: Grid, b: Grid, tolerance: GridTolerance = DEFAULT_GRID_TOLERANCE): GridComparison {
  assert(tolerance.translation >= 0 && tolerance.linear >= 0, () =>
    `compareGrids: tolerances must be non-negative, got translation=${tolerance.translation}, linear=${tolerance.linear}`);
  const shapesEqual = fmtShape(a.shape) === fmtShape(b.shape);
  let linear = 0, translation = 0;
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) linear = Math.max(linear, Math.abs(a.affine[row * 4 + col] - b.affine[row * 4 + col]));
    translation = Math.max(translation, Math.abs(a.affine[row * 4 + 3] - b.affine[row * 4 + 3]));
  }
  const same = shapesEqual && linear <= tolerance.linear && translation <= tolerance.translation;
  return { same, shapesEqual, maxLinearDifference: linear, maxTranslationDifference: translation };
}
