/**
 * How much of a case survives preprocessing and its inverse. Moves (reorient, crop, pad) are lossless,
 * intensity maps lose only float rounding unless they clip, and resampling loses detail finer than the
 * coarse grid; this measures the sum of it per contrast, in scanner units, against the original.
 */
import type { PreprocessConfig } from './preprocessConfig.js';
import { invertPreprocess, preprocess } from './preprocess.js';
import type { VolumeSet } from './preprocessStep.js';

export interface RoundTripError {
  readonly maxAbs: number;
  readonly rms: number;
  /** maxAbs divided by the original's value range (max − min); 0 for a constant original. */
  readonly maxRelative: number;
}

export function roundTripError(volumes: VolumeSet, config: PreprocessConfig): Record<string, RoundTripError> {
  const { volumes: pre, record } = preprocess(volumes, config);
  const report: Record<string, RoundTripError> = {};
  for (const [name, original] of Object.entries(volumes)) {
    const back = invertPreprocess(record, pre[name], { contrast: name, units: 'scanner' });
    let maxAbs = 0;
    let sumSq = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < original.data.length; i++) {
      const x = original.data[i];
      const e = Math.abs(back.data[i] - x);
      if (e > maxAbs) maxAbs = e;
      sumSq += e * e;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    report[name] = { maxAbs, rms: Math.sqrt(sumSq / original.data.length), maxRelative: max > min ? maxAbs / (max - min) : 0 };
  }
  return report;
}

/** One line per contrast, for logs and the CLI. */
export function formatRoundTripError(report: Record<string, RoundTripError>): string {
  return Object.entries(report)
    .map(([name, e]) => `${name}: max |error| ${e.maxAbs.toPrecision(4)} (${(100 * e.maxRelative).toPrecision(3)} % of range), rms ${e.rms.toPrecision(4)}`)
    .join('\n');
}
