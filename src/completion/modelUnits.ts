/**
 * The intensity units a run's syntheses come in: its preprocessing's one intensity map sends each contrast's lower and
 * upper percentiles to `range` (cWDM [0, 1], ALDM [−1, 1]), and nothing maps them back to scanner units, which a
 * synthesis has none of. The floor of the range is what the background of skull-stripped data becomes, and what a
 * synthesis's background is set to.
 */
import type { PreprocessConfig } from '../transforms/index.js';
import { assert } from '../util/index.js';

export interface ModelUnits {
  readonly range: readonly [number, number];
  /** The range's lower end: the value of the background. */
  readonly floor: number;
  /** What a sidecar says of them. */
  readonly text: string;
  /** `[0,1]`, `[-1,1]`: for the 80 characters of a NIfTI descrip. */
  readonly short: string;
}

export function modelUnits(preprocess: PreprocessConfig): ModelUnits {
  const intensity = preprocess.steps.find((step) => step.kind === 'intensity');
  assert(intensity?.kind === 'intensity', () => 'modelUnits: the run\'s preprocessing maps no intensities, so its outputs have no stated units');
  const [low, high] = intensity.range;
  return {
    range: [low, high],
    floor: low,
    text: `normalised intensities: the run's preprocessing maps each contrast's p${intensity.lower}–p${intensity.upper} percentiles to `
      + `[${low}, ${high}]${intensity.clip ? ', clipped' : ''}; the scanner intensity scale is not restored`,
    short: `[${low},${high}]`,
  };
}

/** What the sidecar says of the background. */
export function backgroundText(units: ModelUnits, of: 'every input' | 'the source'): string {
  return `voxels where ${of === 'every input' ? 'every input contrast is' : 'the source is'} at or below ${units.floor} after normalisation `
    + `(the background of skull-stripped data) are set to ${units.floor}`;
}

/** 1 where every one of `volumes` (normalised) is at or below the floor. */
export function backgroundMask(volumes: readonly Float32Array[], floor: number): Uint8Array {
  const mask = new Uint8Array(volumes[0].length).fill(1);
  for (const data of volumes) for (let v = 0; v < data.length; v++) if (data[v] > floor) mask[v] = 0;
  return mask;
}
