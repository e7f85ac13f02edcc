import { assert } from '../util/index.js';
import type { Volume } from '../volume/index.js';
import { INTENSITY_PRESETS, intensityStep, invertPreprocess, preprocess, type PreprocessConfig } from '../transforms/index.js';

/**
 * Which data range R a comparison uses, and in which units. PSNR and SSIM depend on R, and a synthesis in
 * [0, 1] scored against a raw int16 reference gives numbers that look plausible and mean nothing, so R is never
 * guessed beyond the one safe case:
 * - neither option: R = 1, and only when both volumes lie in [0, 1];
 * - `dataRange`: R as given; the caller vouches that both volumes are in the same units;
 * - `normalise: 'cwdm'`: the reference is mapped as cWDM's loader does (clip to its 0.1/99.9 percentiles, then
 *   to [0, 1]); R = 1, and the prediction must lie in [0, 1];
 * - `normalise: 'aldm'`: the reference is mapped as ALDM's loader does (0.5/99.5 percentiles to −1/+1, not
 *   clipped); R = 2, the span of [−1, 1]. ALDM outputs are unclipped by design, so the prediction need only lie
 *   within the normalised reference's range widened by that range's span on each side, which still refuses a
 *   prediction left in scanner units.
 * - `normaliseAs` (a run's preprocessing): the reference goes through that preprocessing and back onto its own grid
 *   in model units, as completion maps a synthesis back: percentiles over the run's crop/pad box, not over the stored
 *   grid as `normalise` takes them (for the aldm preset the two differ: the box holds less background); R = the span
 *   of the preprocessing's intensity range, and the prediction is checked as for 'aldm'.
 * With a normalisation and `dataRange`, the reference is normalised and the explicit R wins. The prediction is never
 * normalised: it is already in its model's output units.
 */
export const NORMALISATIONS = ['cwdm', 'aldm'] as const;
export type Normalisation = (typeof NORMALISATIONS)[number];

export interface IntensityOptions {
  readonly dataRange?: number;
  readonly normalise?: Normalisation;
  readonly normaliseAs?: RunUnits;
}

/** The model units of a run: its preprocessing, and where it came from (named in messages). */
export interface RunUnits {
  readonly preprocess: PreprocessConfig;
  readonly source: string;
}

export interface ComparableIntensities {
  readonly ref: Volume;
  readonly dataRange: number;
}

const NOMINAL_RANGE: Readonly<Record<Normalisation, number>> = { cwdm: 1, aldm: 2 };

export interface ValueRange {
  readonly min: number;
  readonly max: number;
}

/** Smallest and largest value; refuses NaN or infinite voxels, which would poison every metric. */
export function valueRange(data: Float32Array, what: string): ValueRange {
  let min = Infinity;
  let max = -Infinity;
  let nan = false;
  for (let v = 0; v < data.length; v++) {
    const x = data[v];
    if (x !== x) nan = true;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  assert(Number.isFinite(min) && Number.isFinite(max) && !nan, () =>
    `valueRange: ${what} holds NaN or infinite values (range [${min}, ${max}]); metrics need finite voxels`);
  return { min, max };
}

/** The reference in the prediction's units and the data range to score them with (rules above). */
export function comparableIntensities(pred: Volume, ref: Volume, options: IntensityOptions, context: string): ComparableIntensities {
  const { dataRange, normalise } = options;
  assert(dataRange === undefined || (Number.isFinite(dataRange) && dataRange > 0), () =>
    `${context}: the data range must be a positive number, got ${dataRange}`);
  assert(normalise === undefined || NORMALISATIONS.includes(normalise), () =>
    `${context}: unknown normalisation '${normalise}', expected one of ${NORMALISATIONS.join(', ')}`);
  const { normaliseAs } = options;
  assert(normalise === undefined || normaliseAs === undefined, () =>
    `${context}: give --normalise (a model's loader) or --normalise-as (a run's preprocessing), not both`);
  const p = valueRange(pred.data, `${context}: the prediction`);
  const scaled = normaliseAs !== undefined ? toRunUnits(ref, normaliseAs) : normalise === undefined ? ref : toModelUnits(ref, normalise);
  const r = valueRange(scaled.data, `${context}: the reference`);
  const shown = (x: ValueRange) => `[${x.min}, ${x.max}]`;
  if (normaliseAs !== undefined) {
    const span = r.max - r.min;
    assert(p.min >= r.min - span && p.max <= r.max + span, () =>
      `${context}: the preprocessing of ${normaliseAs.source} maps the reference to ${shown(r)}, but the prediction lies in ${shown(p)}, ` +
      'far outside it; is the prediction in other units? Pass --data-range R if both are in the same units');
    return { ref: scaled, dataRange: dataRange ?? runUnitsSpan(normaliseAs) };
  }
  if (normalise === 'cwdm') {
    assert(p.min >= 0 && p.max <= 1, () =>
      `${context}: --normalise cwdm maps the reference to [0, 1], but the prediction lies in ${shown(p)}; ` +
      'a cWDM synthesis is in [0, 1]. Pass --data-range R if the prediction is in other units');
  }
  if (normalise === 'aldm') {
    const span = r.max - r.min;
    assert(p.min >= r.min - span && p.max <= r.max + span, () =>
      `${context}: --normalise aldm maps the reference to ${shown(r)}, but the prediction lies in ${shown(p)}, far outside it; ` +
      'is the prediction still in scanner units? Pass --data-range R if both are in the same units');
  }
  if (dataRange === undefined && normalise === undefined) {
    const unit = (x: ValueRange) => x.min >= 0 && x.max <= 1;
    assert(unit(p) && unit(r), () =>
      `${context}: cannot choose a data range: the prediction lies in ${shown(p)} and the reference in ${shown(r)}; ` +
      'R = 1 is assumed only when both lie in [0, 1]. Pass --data-range R (both volumes in the same units) or ' +
      '--normalise cwdm|aldm (maps the reference to that model\'s intensity range)');
  }
  return { ref: scaled, dataRange: dataRange ?? (normalise === undefined ? 1 : NOMINAL_RANGE[normalise]) };
}

/**
 * A scan in a run's model units on its own grid: through the run's preprocessing (its percentiles taken over the
 * run's window) and back, as completion and translation write a synthesis: the range's floor (the background's value)
 * outside the box the run crops to.
 */
export function toRunUnits(volume: Volume, units: RunUnits): Volume {
  runUnitsSpan(units);
  const { volumes, record } = preprocess({ volume }, units.preprocess);
  const intensity = units.preprocess.steps.find((step) => step.kind === 'intensity')!;
  return invertPreprocess(record, volumes.volume, { units: 'model', fill: intensity.kind === 'intensity' ? intensity.range[0] : 0 });
}

/** The span of the run's intensity range (its nominal data range); refuses a preprocessing with no intensity step. */
export function runUnitsSpan(units: RunUnits): number {
  const intensity = units.preprocess.steps.find((step) => step.kind === 'intensity');
  assert(intensity !== undefined && intensity.kind === 'intensity', () =>
    `${units.source}: its preprocessing maps no intensities, so its model units are the scanner's; pass --data-range R instead`);
  return intensity.range[1] - intensity.range[0];
}

/** A scan mapped into a model's intensity units, as that model's loader maps each contrast of a case. */
export function toModelUnits(volume: Volume, normalise: Normalisation): Volume {
  const { volumes } = intensityStep.apply({ volume }, { kind: 'intensity', ...INTENSITY_PRESETS[normalise] });
  return volumes.volume;
}
