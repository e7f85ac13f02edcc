/**
 * Resampling to a coarser (or finer) voxel size. The inverse resamples back onto the input grid with
 * 'nearest' for label-like data and 'linear' otherwise ('area' only averages, it cannot upsample); the
 * round trip is lossy and `roundTripError` measures by how much.
 */
import { gridForSpacing, resample } from '../volume/index.js';
import type { Vec3 } from '../volume/index.js';
import type { ResampleConfig } from './preprocessConfig.js';
import { firstVolume, gridRecord, mapVolumes, type PreprocessStep, type ResampleRecord } from './preprocessStep.js';

export const resampleStep: PreprocessStep<ResampleConfig, ResampleRecord> = {
  apply(volumes, config) {
    const first = firstVolume(volumes);
    const grid = gridForSpacing(first.shape, first.affine, config.spacing);
    return {
      volumes: mapVolumes(volumes, (v) => resample(v, grid, config.interpolation)),
      record: { kind: 'resample', input: gridRecord(first), shape: grid.shape, factors: grid.factors, interpolation: config.interpolation },
    };
  },
  invert(volume, record) {
    const back = resample(
      volume,
      { shape: record.input.shape, factors: record.factors.map((f) => 1 / f) as Vec3 },
      record.interpolation === 'nearest' ? 'nearest' : 'linear',
    );
    return { data: back.data, shape: record.input.shape, affine: Float64Array.from(record.input.affine) };
  },
};
