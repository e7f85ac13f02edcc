/**
 * The cWDM reference's conventions that its published weights (one checkpoint per target contrast, `brats_1200000.pt`)
 * depend on, for importing them as runs: the noise schedule, the order of the condition channels and the geometry.
 */
import { canonicalOrder, FORMAT_CONTRASTS, type Contrast } from '../../data/index.js';
import type { RunSchedule } from '../../runs/index.js';
import { assert } from '../../util/index.js';

/** The reference's noise schedule (spec §5: β = linspace(1e-4, 0.02, 1000)) and x₀-prediction; its weights denoise only on this one. */
export const REFERENCE_SCHEDULE: RunSchedule = Object.freeze({ betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: 'sample' });

/**
 * The preprocessing its weights expect: stored voxel order, a 224 × 224 × 160 window of a 240 × 240 × 155 BraTS grid
 * (the `reference` preset).
 */
export const REFERENCE_PREPROCESS = 'reference';

/**
 * The conditions the reference stacks on the input channels of its model for `target`, in its fixed order
 * (spec §6): t1n ← t1c, t2w, t2f; t1c ← t1n, t2w, t2f; t2w ← t1n, t1c, t2f; t2f ← t1n, t1c, t2w. That is the
 * other three BraTS contrasts in the order t1n, t1c, t2w, t2f, i.e. our canonical order t1, t1ce, t2, flair,
 * which `mrsynth train` uses too. The weights depend on it: input channels 8–15 take cond_1's eight wavelet
 * bands, 16–23 cond_2's, 24–31 cond_3's; stacked in another order, the model sees the wrong contrasts.
 */
export function referenceConditions(target: Contrast): Contrast[] {
  const brats = FORMAT_CONTRASTS.brats2023;
  assert(brats.includes(target), () => `referenceConditions: the reference trains one model per BraTS contrast (${brats.join(', ')}), `
    + `not '${target}'; name the conditions the weights were trained with`);
  return canonicalOrder(brats.filter((c) => c !== target));
}
