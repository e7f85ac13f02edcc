/**
 * The reversible preprocessing pipeline. `preprocess` runs the configured steps over a case and returns
 * the model-grid volumes plus an `InverseRecord`: plain JSON holding the original grid, the model grid
 * and every step's parameters. `invertPreprocess` maps a model output back onto the original grid from
 * that record alone, so the record can be written next to the outputs and used in a later process.
 */
import type { Affine, Volume } from '../volume/index.js';
import { affinesClose, formatAffine } from '../volume/index.js';
import type { PreprocessConfig, PresetName, StepConfig } from './preprocessConfig.js';
import {
  firstVolume, gridRecord, OUTPUT_UNITS, type GridRecord, type InvertOptions, type OutputUnits, type PreprocessStep,
  type StepRecord, type VolumeSet,
} from './preprocessStep.js';
import { reorientStep } from './reorientStep.js';
import { intensityStep } from './intensityStep.js';
import { cropStep, padStep, windowStep } from './windowSteps.js';
import { resampleStep } from './resampleStep.js';
import { assert, fmtShape } from '../util/index.js';

/** The record type a step of kind K writes (crop, pad and window share WindowRecord). */
type RecordOf<K, R = StepRecord> = R extends StepRecord ? (K extends R['kind'] ? R : never) : never;

const STEPS: { [K in StepConfig['kind']]: PreprocessStep<Extract<StepConfig, { kind: K }>, RecordOf<K>> } = {
  reorient: reorientStep,
  intensity: intensityStep,
  crop: cropStep,
  pad: padStep,
  window: windowStep,
  resample: resampleStep,
};

// The registry is keyed by kind, so the config and record a step receives always match its own types.
const stepFor = (kind: StepConfig['kind']) => STEPS[kind] as unknown as PreprocessStep<StepConfig, StepRecord>;

export interface InverseRecord {
  readonly version: 1;
  readonly preset: PresetName;
  readonly contrasts: readonly string[];
  /** The case's grid as loaded. */
  readonly original: GridRecord;
  /** The grid the model sees. */
  readonly preprocessed: GridRecord;
  readonly steps: readonly StepRecord[];
}

export interface PreprocessResult {
  readonly volumes: VolumeSet;
  readonly record: InverseRecord;
}

/** Affines of one case may differ by rounding in the file headers; more than this is a different grid. */
const GRID_TOLERANCE = 1e-5;

function checkCase(volumes: VolumeSet): void {
  const names = Object.keys(volumes);
  assert(names.length > 0, () => 'preprocess: the case has no volumes; expected at least one contrast');
  const ref = volumes[names[0]];
  for (const name of names) {
    const v = volumes[name];
    assert(
      v.data.length === v.shape[0] * v.shape[1] * v.shape[2],
      () => `preprocess: contrast '${name}' has ${v.data.length} values for shape ${fmtShape(v.shape)}`,
    );
    assert(
      v.shape.every((n, a) => n === ref.shape[a]) && affinesClose(v.affine, ref.affine, GRID_TOLERANCE),
      () => `preprocess: contrast '${name}' is on grid ${fmtShape(v.shape)} ${formatAffine(v.affine)}, but '${names[0]}' is on ` +
        `${fmtShape(ref.shape)} ${formatAffine(ref.affine)}; all contrasts of a case must share one grid`,
    );
  }
}

export function preprocess(volumes: VolumeSet, config: PreprocessConfig): PreprocessResult {
  checkCase(volumes);
  let current = volumes;
  const steps: StepRecord[] = [];
  for (const stepConfig of config.steps) {
    const { volumes: next, record } = stepFor(stepConfig.kind).apply(current, stepConfig);
    current = next;
    steps.push(record);
  }
  return {
    volumes: current,
    record: {
      version: 1,
      preset: config.preset,
      contrasts: Object.keys(volumes),
      original: gridRecord(firstVolume(volumes)),
      preprocessed: gridRecord(firstVolume(current)),
      steps,
    },
  };
}

/** World placement of the model grid. */
export function preprocessedAffine(record: InverseRecord): Affine {
  return Float64Array.from(record.preprocessed.affine);
}

export interface InvertPreprocessOptions {
  /** The contrast the output stands for; needed for 'scanner' units. */
  readonly contrast?: string;
  /** Default 'model': keep the normalised units. */
  readonly units?: OutputUnits;
  /** Value for voxels outside the cropped region, in the output units; default 0. */
  readonly fill?: number;
}

/**
 * Maps a model output (on the preprocessed grid) back onto the original grid. Intensity maps are
 * undone first: they act voxel by voxel and commute with the moves and with resampling (whose weights
 * sum to 1), and undoing them first means `fill` lands in the output units unchanged.
 */
export function invertPreprocess(record: InverseRecord, output: Volume | Float32Array, options: InvertPreprocessOptions = {}): Volume {
  const { shape } = record.preprocessed;
  const affine = preprocessedAffine(record);
  if (!(output instanceof Float32Array)) {
    assert(
      output.shape.every((n, a) => n === shape[a]) && affinesClose(output.affine, affine, GRID_TOLERANCE),
      () => `invertPreprocess: output is on grid ${fmtShape(output.shape)} ${formatAffine(output.affine)}, expected the preprocessed grid ` +
        `${fmtShape(shape)} ${formatAffine(affine)}`,
    );
  }
  const data = output instanceof Float32Array ? output : output.data;
  assert(
    data.length === shape[0] * shape[1] * shape[2],
    () => `invertPreprocess: output has ${data.length} values, expected ${shape[0] * shape[1] * shape[2]} for the preprocessed shape ${fmtShape(shape)}`,
  );
  const units = options.units ?? 'model';
  assert(OUTPUT_UNITS.includes(units), () => `invertPreprocess: units must be one of ${OUTPUT_UNITS.join(', ')}, got '${units}'`);
  const invertOptions: InvertOptions = { contrast: options.contrast, units, fill: options.fill ?? 0 };
  let volume: Volume = { data, shape, affine };
  const reversed = [...record.steps].reverse();
  for (const step of reversed) if (step.kind === 'intensity') volume = stepFor(step.kind).invert(volume, step, invertOptions);
  for (const step of reversed) if (step.kind !== 'intensity') volume = stepFor(step.kind).invert(volume, step, invertOptions);
  if (volume.data === data) volume = { ...volume, data: data.slice() };
  return { data: volume.data, shape: record.original.shape, affine: Float64Array.from(record.original.affine) };
}
