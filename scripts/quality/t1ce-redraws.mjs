// What no model of the other contrasts can know of a held-out phantom's T1ce (cwdm-t1ce-bound, aldm-t1ce-bound).
//
// The phantom generator can redraw, per case, everything only T1ce shows (gadolinium uptake in the rim and in blood,
// the blood-volume texture, T1ce's residual bias, noise level, slice thickness and noise) while every other draw
// stays, so T1, T2, FLAIR and the labels are the case's own. Each redraw, mapped into the units a model is scored in
// (its own normalisation, as the reference's), is a sample of the target given everything the other contrasts are made
// from. Per voxel, the mean of the redraws is the best predictor in squared error even for a model that knew all those
// shared draws, and the brain mean of the redraws' variance, σ², is its expected error: no model of any of the other
// contrasts can expect a lower MSE on that case. A scan's error varies from draw to draw (a thick-slice T1ce is far from
// the mean, most are near it), so the PSNR of that expected error is below the PSNR such a predictor can expect, which
// a gate on mean PSNR compares with: that is the mean over the draws of each draw's PSNR against the mean of the others.
import { mean, sampleStd } from '../../dist/metrics/index.js';

/**
 * `draws` redraws of case `id`'s T1ce (seed and index from the id) on `stored`'s grid, each mapped by `toUnits`
 * (a volume → its voxels in the units scored): per voxel of `inside` (indices into the volume), their mean `average`,
 * the expected squared error of that mean σ² (`variance`, Σ d_k / (K − 1) over each draw's mean squared distance d_k
 * from it), the standard error of σ² the spread of the d_k gives, and each draw's mean squared error against the mean
 * of the other K − 1 (`leaveOneOut`, (K / (K − 1))² d_k), whose PSNRs average to the ideal predictor's expected PSNR
 * (of K − 1 draws: a little below that of K). Refuses a stored T1ce that is not the generator's
 * draw 0 of that case, whose redraws would belong to another case.
 */
export function t1ceRedraws(generator, { seed, index }, stored, path, inside, draws, toUnits) {
  const own = generator.generate(seed, index, 'brats').contrasts.t1ce;
  if (own.data.length !== stored.data.length || own.data.some((x, v) => x !== stored.data[v])) {
    throw new Error(`${path} is not what the generator makes for seed ${seed}, case ${index} on its grid; ` +
      'was it written by another version of mrsynth, or edited?');
  }
  const count = inside.length;
  const samples = new Float32Array(draws * count);
  for (let k = 0; k < draws; k++) {
    const sample = toUnits(generator.generate(seed, index, 'brats', { t1ceDraw: k + 1 }).contrasts.t1ce);
    for (let i = 0; i < count; i++) samples[k * count + i] = sample[inside[i]];
  }
  const average = new Float64Array(count);
  for (let k = 0; k < draws; k++) for (let i = 0; i < count; i++) average[i] += samples[k * count + i] / draws;
  const distance = Array.from({ length: draws }, (_, k) => {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += (samples[k * count + i] - average[i]) ** 2;
    return sum / count;
  });
  const leaveOneOut = distance.map((d) => (draws / (draws - 1)) ** 2 * d);
  return { average, leaveOneOut, variance: (mean(distance) * draws) / (draws - 1), standardError: (sampleStd(distance) * Math.sqrt(draws)) / (draws - 1) };
}
