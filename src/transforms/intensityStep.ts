/**
 * Per-contrast linear intensity map: the `lower` and `upper` percentiles of each volume (over all its
 * voxels, background included, as both reference codes do) go to the ends of `range`, optionally after
 * clipping to them. For cWDM's `clip_and_normalize` this is the same map: after clipping to [lo, hi] the
 * min and max are lo and hi, since linear-interpolated quantiles never leave the data's range.
 */
import type { Volume } from '../volume/index.js';
import { percentiles } from '../volume/index.js';
import type { IntensityConfig } from './preprocessConfig.js';
import { firstVolume, gridRecord, mapVolumes, type IntensityRecord, type PreprocessStep } from './preprocessStep.js';
import { assert } from '../util/index.js';

function forward(v: Volume, low: number, high: number, r0: number, r1: number, clip: boolean): Volume {
  const src = v.data;
  const out = new Float32Array(src.length);
  const width = high - low;
  const span = r1 - r0;
  for (let i = 0; i < src.length; i++) {
    const x = clip ? Math.min(Math.max(src[i], low), high) : src[i];
    out[i] = r0 + ((x - low) / width) * span;
  }
  return { data: out, shape: v.shape, affine: v.affine };
}

export const intensityStep: PreprocessStep<IntensityConfig, IntensityRecord> = {
  apply(volumes, config) {
    const maps: Record<string, { low: number; high: number }> = {};
    const [r0, r1] = config.range;
    const out = mapVolumes(volumes, (v, name) => {
      const [low, high] = percentiles(v.data, [config.lower, config.upper]);
      assert(
        high > low,
        () => `intensity: contrast '${name}' has p${config.lower} = p${config.upper} = ${low} (a constant or nearly empty volume); ` +
          `it cannot be mapped to [${r0}, ${r1}]`,
      );
      maps[name] = { low, high };
      return forward(v, low, high, r0, r1, config.clip);
    });
    const params = { lower: config.lower, upper: config.upper, range: config.range, clip: config.clip };
    return { volumes: out, record: { kind: 'intensity', input: gridRecord(firstVolume(volumes)), params, maps } };
  },
  invert(volume, record, { contrast, units }) {
    if (units === 'model') return volume;
    assert(contrast !== undefined, () => `intensity.invert: scanner units need the contrast's name, got none`);
    const map = record.maps[contrast];
    assert(
      map !== undefined,
      () => `intensity.invert: contrast '${contrast}' was not among the preprocessed contrasts (${Object.keys(record.maps).join(', ')}), ` +
        `so its scanner units are unknown; use units 'model'`,
    );
    const [r0, r1] = record.params.range;
    const scale = (map.high - map.low) / (r1 - r0);
    const src = volume.data;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = map.low + (src[i] - r0) * scale;
    return { data: out, shape: volume.shape, affine: volume.affine };
  },
};
