/**
 * Display windows: which intensity maps to black and which to white. The default is the 0.5th to 99.5th
 * percentile of the volume's nonzero voxels: background zeros would otherwise drag the low end to 0, and
 * a handful of hot voxels (vessels, artefacts) would otherwise compress the brain into a few gray levels.
 */
import { assert } from '../util/index.js';
import { percentiles } from '../volume/index.js';

/** Percentile bounds (in [0, 100], over nonzero voxels) or absolute intensities. */
export type WindowSpec =
  | { readonly kind: 'percentile'; readonly low: number; readonly high: number }
  | { readonly kind: 'absolute'; readonly low: number; readonly high: number };

export interface IntensityWindow {
  readonly low: number;
  readonly high: number;
}

export const DEFAULT_WINDOW: WindowSpec = Object.freeze({ kind: 'percentile', low: 0.5, high: 99.5 });

/** Parses the `--window` value: `p0.5,p99.5` (percentiles of nonzero voxels) or `0,1200` (absolute). */
export function parseWindowSpec(text: string): WindowSpec {
  const expected = () => `parseWindowSpec: expected 'pLOW,pHIGH' (percentiles) or 'LOW,HIGH' (intensities), got '${text}'`;
  const parts = text.split(',').map((s) => s.trim());
  assert(parts.length === 2, expected);
  const percent = parts.map((p) => p.startsWith('p'));
  assert(percent[0] === percent[1], expected);
  const [low, high] = parts.map((p) => (p.replace(/^p/, '') === '' ? NaN : Number(p.replace(/^p/, ''))));
  assert(Number.isFinite(low) && Number.isFinite(high), expected);
  assert(low < high, () => `parseWindowSpec: the low bound must be below the high bound, got '${text}'`);
  if (!percent[0]) return { kind: 'absolute', low, high };
  assert(low >= 0 && high <= 100, () => `parseWindowSpec: percentiles must lie in [0, 100], got '${text}'`);
  return { kind: 'percentile', low, high };
}

function nonzeroValues(data: Float32Array): Float32Array {
  let count = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) count++;
  const out = new Float32Array(count);
  let o = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) out[o++] = data[i];
  return out;
}

/** The window a spec selects on these voxels; an all-zero volume gets [0, 1] so it shows as black. */
export function intensityWindow(data: Float32Array, spec: WindowSpec = DEFAULT_WINDOW): IntensityWindow {
  if (spec.kind === 'absolute') return { low: spec.low, high: spec.high };
  const values = nonzeroValues(data);
  if (values.length === 0) return { low: 0, high: 1 };
  const [low, high] = percentiles(values, [spec.low, spec.high]);
  return { low, high };
}

/**
 * Window for an absolute-error map: from 0 (no error is black) to the spec's high percentile of the
 * nonzero errors, so the scale says how large the errors are rather than how they are spread.
 */
export function errorWindow(data: Float32Array, spec: WindowSpec = DEFAULT_WINDOW): IntensityWindow {
  if (spec.kind === 'absolute') return { low: spec.low, high: spec.high };
  const values = nonzeroValues(data);
  if (values.length === 0) return { low: 0, high: 1 };
  return { low: 0, high: percentiles(values, [spec.high])[0] };
}

/** Position of a value in the window as a fraction clamped to [0, 1]; a zero-width window splits at its value. */
export function windowFraction(value: number, window: IntensityWindow): number {
  const { low, high } = window;
  if (!(high > low)) return value >= high ? 1 : 0;
  const t = (value - low) / (high - low);
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
}

/** 8-bit gray level of a value: at or below the low bound 0, at or above the high bound 255, linear between. */
export function grayLevel(value: number, window: IntensityWindow): number {
  return Math.round(255 * windowFraction(value, window));
}
