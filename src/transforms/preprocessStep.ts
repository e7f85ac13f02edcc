/**
 * The contract every preprocessing step meets. `apply` maps a case (all contrasts on one grid) to a new
 * case and returns a JSON-able record of what it did; `invert` takes one volume on the step's output grid
 * and the record, and returns the volume on the step's input grid. Records always hold the input grid,
 * so an inverse restores shape and affine exactly rather than recomputing them.
 */
import type { Shape3, Volume } from '../volume/index.js';
import type { StepConfig } from './preprocessConfig.js';
import type { IntensityParams } from './preprocessConfig.js';
import type { Interpolation } from '../volume/index.js';
import type { Vec3 } from '../volume/index.js';

/** The contrasts of one case by name ('t1n', 't2f', …), all on one grid. */
export type VolumeSet = Readonly<Record<string, Volume>>;

/** A grid in JSON-able form: the affine as 16 row-major numbers. */
export interface GridRecord {
  readonly shape: Shape3;
  readonly affine: readonly number[];
}

export interface ReorientRecord {
  readonly kind: 'reorient';
  readonly input: GridRecord;
  /** Axis codes of the input grid, e.g. 'LPS'. */
  readonly codes: string;
  readonly perm: readonly [number, number, number];
  readonly flip: readonly [boolean, boolean, boolean];
}

/** Per contrast, the scanner values that mapped to the ends of the output range. */
export interface IntensityRecord {
  readonly kind: 'intensity';
  readonly input: GridRecord;
  readonly params: IntensityParams;
  readonly maps: Readonly<Record<string, { readonly low: number; readonly high: number }>>;
}

/** Crop, pad and window all cut a window: output voxel 0 is input voxel `start`. */
export interface WindowRecord {
  readonly kind: 'crop' | 'pad' | 'window';
  readonly input: GridRecord;
  readonly start: Shape3;
  readonly shape: Shape3;
  /** Voxels nonzero in some contrast that a centre-cropping pad cut off (absent when none were). */
  readonly foregroundLost?: number;
}

export interface ResampleRecord {
  readonly kind: 'resample';
  readonly input: GridRecord;
  readonly shape: Shape3;
  /** Output index n has its centre at input index f·n + (f − 1)/2 (see scaleIndexMap). */
  readonly factors: Vec3;
  readonly interpolation: Interpolation;
}

export type StepRecord = ReorientRecord | IntensityRecord | WindowRecord | ResampleRecord;

export const OUTPUT_UNITS = ['model', 'scanner'] as const;
/** 'model': leave values in the normalised units the model works in; 'scanner': undo the intensity maps too. */
export type OutputUnits = (typeof OUTPUT_UNITS)[number];

export interface InvertOptions {
  /** The contrast the volume stands for; needed for 'scanner' units. */
  readonly contrast?: string;
  readonly units: OutputUnits;
  /** Value given to voxels outside a crop, in the output units. */
  readonly fill: number;
}

export interface PreprocessStep<C extends StepConfig, R extends StepRecord> {
  apply(volumes: VolumeSet, config: C): { volumes: VolumeSet; record: R };
  invert(volume: Volume, record: R, options: InvertOptions): Volume;
}

export function gridRecord(volume: Volume): GridRecord {
  return { shape: [volume.shape[0], volume.shape[1], volume.shape[2]], affine: Array.from(volume.affine) };
}

/** Applies `f` to every contrast, keeping the names. */
export function mapVolumes(volumes: VolumeSet, f: (v: Volume, name: string) => Volume): VolumeSet {
  return Object.fromEntries(Object.entries(volumes).map(([name, v]) => [name, f(v, name)]));
}

/** Any contrast of the set: they share one grid. */
export function firstVolume(volumes: VolumeSet): Volume {
  return Object.values(volumes)[0];
}
