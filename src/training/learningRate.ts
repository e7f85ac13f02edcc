/**
 * The learning rate of each training step. The reference trains at a constant rate (guided-diffusion's
 * `lr_anneal_steps = 0`); a run may instead decay it over a window of steps, linearly (what `lr_anneal_steps = N`
 * does, from step 0 to N down to zero) or along half a cosine, which lets the weights settle at the end of a run
 * after the constant-rate phase has stopped improving.
 *
 * The rate is a pure function of the step index, so a resumed run takes exactly the rates an uninterrupted one
 * would, and a decay may be added to a run later as long as it leaves the steps already taken unchanged
 * ({@link firstChangedStep}).
 */
import type { RunTraining } from '../runs/index.js';

/** Step counts as elsewhere: `step` is the number of steps already taken, so the first update is step 0. */
export function learningRateAt(training: Pick<RunTraining, 'lr' | 'lrDecay'>, step: number): number {
  const decay = training.lrDecay;
  if (decay === undefined || step < decay.from) return training.lr;
  if (step >= decay.to) return decay.final;
  const progress = (step - decay.from) / (decay.to - decay.from);
  const weight = decay.shape === 'linear' ? 1 - progress : (1 + Math.cos(Math.PI * progress)) / 2;
  return decay.final + (training.lr - decay.final) * weight;
}

/**
 * The first of the steps 0 … taken−1 at which the two trainings' rates differ, or undefined when they agree on
 * all of them (then resuming one as the other reproduces the steps already taken).
 */
export function firstChangedStep(
  before: Pick<RunTraining, 'lr' | 'lrDecay'>, after: Pick<RunTraining, 'lr' | 'lrDecay'>, taken: number,
): number | undefined {
  for (let step = 0; step < taken; step++) {
    if (learningRateAt(before, step) !== learningRateAt(after, step)) return step;
  }
  return undefined;
}

/** E.g. `cosine decay from 2e-4 to 0 over steps 5000–8000` or `constant 2e-4`. */
export function describeLearningRate(training: Pick<RunTraining, 'lr' | 'lrDecay'>): string {
  const decay = training.lrDecay;
  return decay === undefined
    ? `constant ${training.lr}`
    : `${training.lr}, ${decay.shape} decay to ${decay.final} over steps ${decay.from}–${decay.to}`;
}
