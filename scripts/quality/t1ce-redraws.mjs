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
// a gate on mean PSNR compares with: the mean over the draws of each draw's PSNR against it.
import { mean, sampleStd } from '../../dist/metrics/index.js';

/**
 * `draws` redraws of the T1ce of case { seed, index } on `stored`'s grid, each mapped by `toUnits` (a volume → its
 * voxels in the units scored): per voxel of `inside` (indices into the volume), their mean `average`, the expected
 * squared error of that mean σ² (`variance`, Σ d_k / (K − 1) over each draw's mean squared distance d_k from it), the
 * standard error of σ² the spread of the d_k gives, and each draw's squared error against the ideal predictor
 * (`drawErrors`, d_k · K / (K − 1): a draw is part of the mean it is measured from, which takes (K − 1) / K of its
 * expected distance from the true mean), whose PSNRs average to what the ideal predictor can expect. Refuses a stored
 * T1ce (`path`) that is not the generator's draw 0 of that case, whose redraws would belong to another case.
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
  const drawErrors = distance.map((d) => (d * draws) / (draws - 1));
  return { average, drawErrors, variance: (mean(distance) * draws) / (draws - 1), standardError: (sampleStd(distance) * Math.sqrt(draws)) / (draws - 1) };
}
