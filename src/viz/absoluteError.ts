/**
 * |pred − ref| voxel by voxel, for the error panel of a slice picture. Both volumes are brought to RAS+
 * first, so a prediction written in another voxel order than its reference is still compared at the
 * same anatomy; the result lives on that RAS grid.
 */
import type { Volume } from '../volume/index.js';
import { formatAffine } from '../volume/index.js';
import { compareGrids } from '../data/index.js';
import { orientationCodes, rasPermutation } from '../volume/index.js';
import { permuteAxes } from '../volume/index.js';
import { assert, fmtShape } from '../util/index.js';


export function absoluteError(reference: Volume, prediction: Volume): Volume {
  const ref = permuteAxes(reference, rasPermutation(reference.affine));
  const pred = permuteAxes(prediction, rasPermutation(prediction.affine));
  assert(
    compareGrids(ref, pred).same,
    () =>
      `absoluteError: prediction and reference are on different grids in RAS+: shape ${fmtShape(pred.shape)} vs ${fmtShape(ref.shape)}, ` +
      `affine ${formatAffine(pred.affine)} vs ${formatAffine(ref.affine)} (stored as ${orientationCodes(prediction.affine)} and ` +
      `${orientationCodes(reference.affine)}); resample the prediction onto the reference grid first`,
  );
  const data = new Float32Array(ref.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.abs(pred.data[i] - ref.data[i]);
  return { data, shape: ref.shape, affine: ref.affine };
}
