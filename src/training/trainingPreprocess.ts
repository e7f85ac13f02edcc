/**
 * The preprocessing a training run records in run.json: a preset or custom config, optionally resampled to a
 * coarser grid (how CPU-sized networks are trained, spec §15), always ending on a grid the network accepts.
 */
import { parsePreprocessConfig, type PreprocessConfig, type StepConfig } from '../transforms/index.js';
import { assert } from '../util/index.js';

export interface TrainingPreprocessOptions {
  /** Isotropic voxel size in mm to resample to, after reorienting. */
  readonly spacing?: number;
  /** What every image axis must divide by: 2 (the DWT) × the U-Net's halvings. */
  readonly imageMultiple: number;
}

/**
 * `raw` as `parsePreprocessConfig` takes it (default the `cwdm` preset). With `spacing`, a resample step goes in
 * after the reorientation and fixed pad shapes (millimetre boxes at the original resolution, such as cwdm's
 * 224×224×160) become pads to the network's multiple; the reference geometry, a fixed voxel window of the
 * stored grid, has no meaning on another grid and is refused. A pad to the multiple is appended unless the
 * last step already guarantees it. Any change makes the result a `custom` config.
 */
export function trainingPreprocessConfig(raw: unknown, options: TrainingPreprocessOptions): PreprocessConfig {
  const base = parsePreprocessConfig(raw ?? 'cwdm');
  const m = options.imageMultiple;
  let steps: StepConfig[] = [...base.steps];
  if (options.spacing !== undefined) {
    const { spacing } = options;
    assert(Number.isFinite(spacing) && spacing > 0, () => `trainingPreprocessConfig: spacing must be a voxel size in mm > 0, got ${spacing}`);
    assert(!steps.some((s) => s.kind === 'window'), () =>
      `trainingPreprocessConfig: preset '${base.preset}' cuts a fixed voxel window of the stored grid, which cannot be combined with a spacing of ${spacing} mm`);
    const at = steps.findIndex((s) => s.kind === 'reorient') + 1;
    steps.splice(at, 0, { kind: 'resample', spacing: [spacing, spacing, spacing], interpolation: 'linear' });
    steps = steps.map((s) => (s.kind === 'pad' && 'shape' in s ? { kind: 'pad', multiple: [m, m, m] } : s));
  }
  const last = steps[steps.length - 1];
  const divides = (sizes: readonly number[]) => sizes.every((n) => n % m === 0);
  const fitsNetwork = (last.kind === 'pad' && ('shape' in last ? divides(last.shape) : divides(last.multiple)))
    || (last.kind === 'window' && divides(last.shape));
  if (!fitsNetwork) steps.push({ kind: 'pad', multiple: [m, m, m] });
  return steps.length === base.steps.length && steps.every((s, i) => s === base.steps[i]) ? base : parsePreprocessConfig({ preset: 'custom', steps });
}
