import { assert, fmtShape } from '../util/index.js';
import type { Volume } from '../volume/index.js';
import { errorMetrics, type ErrorMetrics } from './errorMetrics.js';
import type { Region } from './masks.js';
import { meanSsim, ssimMap, type SsimOptions } from './ssim.js';

export interface MetricScores extends ErrorMetrics {
  readonly ssim: number;
}

export const METRICS = ['mse', 'mae', 'psnr', 'nmse', 'ssim'] as const satisfies readonly (keyof MetricScores)[];
export type MetricName = (typeof METRICS)[number];

export interface RegionScoreOptions extends SsimOptions {
  /**
   * Zero both volumes outside each region before the SSIM map is computed (one map per region). Default false:
   * one map of the unmasked volumes, averaged over region ∩ interior, so the window still sees the context
   * around the region, as BraSyn scores it.
   */
  readonly maskBeforeSsim?: boolean;
}

/**
 * Every metric over every region for one prediction/reference pair on the same grid. The SSIM map is computed
 * once and averaged per region; the error metrics take one pass per region.
 */
export function scoreRegions(
  pred: Volume, ref: Volume, masks: ReadonlyMap<Region, Uint8Array | undefined>, options: RegionScoreOptions,
): Map<Region, MetricScores> {
  assert(pred.shape.every((d, a) => d === ref.shape[a]), () =>
    `scoreRegions: pred shape ${fmtShape(pred.shape)} differs from ref shape ${fmtShape(ref.shape)}`);
  const shared = options.maskBeforeSsim ? undefined : ssimMap(pred.data, ref.data, ref.shape, options);
  const scores = new Map<Region, MetricScores>();
  for (const [region, mask] of masks) {
    const map = shared ?? ssimMap(maskedCopy(pred.data, mask), maskedCopy(ref.data, mask), ref.shape, options);
    scores.set(region, { ...errorMetrics(pred.data, ref.data, options.dataRange, mask), ssim: meanSsim(map, mask) });
  }
  return scores;
}

function maskedCopy(data: Float32Array, mask: Uint8Array | undefined): Float32Array {
  if (mask === undefined) return data;
  const out = new Float32Array(data.length);
  for (let v = 0; v < data.length; v++) out[v] = mask[v] === 0 ? 0 : data[v];
  return out;
}
