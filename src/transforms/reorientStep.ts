/** Reorientation to RAS+ by axis permutation and flips: values move bit for bit, the affine stays exact. */
import { permuteAxes } from '../volume/index.js';
import { invertPermutation, orientationCodes, rasPermutation } from '../volume/index.js';
import type { ReorientConfig } from './preprocessConfig.js';
import { firstVolume, gridRecord, mapVolumes, type PreprocessStep, type ReorientRecord } from './preprocessStep.js';

export const reorientStep: PreprocessStep<ReorientConfig, ReorientRecord> = {
  apply(volumes) {
    const first = firstVolume(volumes);
    const p = rasPermutation(first.affine);
    return {
      volumes: mapVolumes(volumes, (v) => permuteAxes(v, p)),
      record: { kind: 'reorient', input: gridRecord(first), codes: orientationCodes(first.affine), perm: p.perm, flip: p.flip },
    };
  },
  invert(volume, record) {
    const back = permuteAxes(volume, invertPermutation(record));
    return { data: back.data, shape: record.input.shape, affine: Float64Array.from(record.input.affine) };
  },
};
